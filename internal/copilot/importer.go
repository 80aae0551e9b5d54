package copilot

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cfnfargate/cfnfargate/stack"
)

// Options are what the manifest does not say.
type Options struct {
	// App and Env fill ${COPILOT_APPLICATION_NAME} and
	// ${COPILOT_ENVIRONMENT_NAME}; Env also picks the environments: block
	// to apply. Without Env, a manifest with environments: gives the base
	// values and one Layer per environment.
	App string
	Env string
	// Image is the image URI to run; it replaces image.location and is
	// required when the manifest only builds its image (image.build).
	// ImageSource names where it came from in messages ("--image" when
	// empty).
	Image       string
	ImageSource string
	// Getenv fills other ${NAME} placeholders, as Copilot fills them from
	// its shell; nil fills none.
	Getenv func(name string) (string, bool)
	// ReadEnvFile reads the env_file, a path relative to the Copilot
	// workspace (the directory that holds copilot/); nil reads none.
	ReadEnvFile func(path string) ([]byte, error)
}

// Setting is one cfnfargate setting the manifest gave.
type Setting struct {
	// Key is the setting's key: a config-file key and flag name (stack.Key*).
	Key string
	// Values are the setting's values, as a flag would give them; a pair
	// setting (env, secret) holds NAME=VALUE strings.
	Values []string
	List   bool
	// Styles are the manifest's quoting of each value, parallel to Values
	// (0 where it did not quote), so that the config quotes them the same.
	Styles []yaml.Style
	// Source is the manifest key the value came from, and Line its line; a
	// Copilot default has Line 0.
	Source string
	Line   int
	// Note says why the value is what it is, when it is not the manifest's
	// own value (a Copilot default, a conversion).
	Note string
	// Deferred settings are not to be applied yet: the config file carries
	// them as comments, with Note saying when to turn them on.
	Deferred bool
}

// Label names where a setting came from, for messages: "http.healthcheck
// line 12", or "http.healthcheck (Copilot's default)".
func (s Setting) Label() string {
	if s.Line > 0 {
		return fmt.Sprintf("%s (line %d)", s.Source, s.Line)
	}
	return s.Source
}

// Result is an imported manifest.
type Result struct {
	// Service is the manifest's name.
	Service string
	// Settings are the base values; with Options.Env, that environment's.
	Settings []Setting
	Findings []Finding
	// Environments are the names under environments:, sorted; Applied is
	// the one whose overrides were applied (Options.Env), if any.
	Environments []string
	Applied      string
	// Layers are, without Options.Env, each environment's settings in the
	// order of Environments: every setting, the base values with the
	// environment's overrides applied.
	Layers []Layer
	// Aliases are the names of http.alias, the first the one served.
	Aliases []string
}

// Layer is one Copilot environment's settings.
type Layer struct {
	Name     string
	Settings []Setting
}

// Setting returns the imported setting with key, if any.
func (r *Result) Setting(key string) (Setting, bool) {
	return findSetting(r.Settings, key)
}

// Setting returns the layer's setting with key, if any.
func (l Layer) Setting(key string) (Setting, bool) {
	return findSetting(l.Settings, key)
}

func findSetting(settings []Setting, key string) (Setting, bool) {
	for _, s := range settings {
		if s.Key == key && !s.Deferred {
			return s, true
		}
	}
	return Setting{}, false
}

// Copilot's defaults where a manifest leaves a key out. Each differs from
// cfnfargate's default, or is pinned so that the service keeps behaving as
// it did under Copilot whatever cfnfargate's default becomes.
const (
	// http.healthcheck (Copilot manifest reference, http-healthcheck.en.md):
	// path "/", success codes 200, healthy threshold 5, unhealthy 2,
	// interval 30s, timeout 5s, grace period 60s.
	copilotHCPath        = "/"
	copilotHCCodes       = "200"
	copilotHealthy       = 5
	copilotUnhealthy     = 2
	copilotHCInterval    = 30
	copilotHCTimeout     = 5
	copilotGracePeriod   = 60
	copilotDeregistering = 60 // http.deregistration_delay "The default is 60s" (http-config.en.md)
	// image.healthcheck (image-healthcheck.en.md): interval 10s, retries 2,
	// timeout 5s, start period 0s.
	copilotContainerHCInterval = 10
	copilotContainerHCRetries  = 2
	copilotContainerHCTimeout  = 5
	copilotContainerHCStart    = 0
	// cpu and memory: a Load Balanced Web Service without them gets 256 CPU
	// units and 512 MiB (internal/pkg/manifest/lb_web_svc.go,
	// newDefaultLoadBalancedWebService).
	copilotCPU    = 256
	copilotMemory = 512
	// Copilot's target-tracking policies all set ScaleInCooldown 120 and
	// ScaleOutCooldown 60 unless the manifest says otherwise
	// (internal/pkg/template/templates/workloads/partials/cf/autoscaling.yml).
	copilotScaleIn  = 120
	copilotScaleOut = 60
	// The ALB's lb_cookie lasts a day unless set (ELB user guide, "Sticky
	// sessions for your Application Load Balancer": "The default value is
	// 1 day (86400 seconds)"); Copilot sets stickiness.enabled only.
	albDefaultCookieSeconds = 86400
	// Fargate gives every task 20 GiB of ephemeral storage; storage.ephemeral
	// takes 20 to 200 (common-svc-fields.en.md).
	fargateDefaultStorage = 20
)

const copilotDefault = "Copilot's default"

type importer struct {
	opts     Options
	root     node
	res      *Result
	problems []Problem
	port     int // image.port, for comparisons
	// env is the environment whose overrides this pass applies, or "".
	env string
	// envUnknown fills ${COPILOT_ENVIRONMENT_NAME} with unknownEnv: the
	// base values of a manifest with environments, where each layer fills
	// it with its own name.
	envUnknown bool
	// fromEnv holds the nodes of the applied environments: block, so that
	// settings and problems name environments.ENV.key for them.
	fromEnv map[*yaml.Node]bool
	// unused holds the nodes the import reports and does not use, whose
	// placeholders therefore need no value.
	unused map[*yaml.Node]bool
	// pending are the placeholders nothing filled, decided on once the
	// mapping knows which keys it used.
	pending []pendingPlaceholder
}

type pendingPlaceholder struct {
	n    *yaml.Node
	key  string
	line int
	name string
}

// unknownEnv stands for ${COPILOT_ENVIRONMENT_NAME} in the base values of a
// manifest with environments; a value that holds it belongs to the layers.
const unknownEnv = "\x00COPILOT_ENVIRONMENT_NAME\x00"

// where is the dotted key of n as the manifest spells it: under
// environments.ENV when the applied overrides gave it.
func (im *importer) where(n node) string {
	if im.fromEnv[n.Node] {
		return "environments." + im.env + "." + n.key
	}
	return n.key
}

// Import maps a Copilot Load Balanced Web Service manifest onto
// cfnfargate's settings. A manifest it cannot use returns an *Error listing
// every problem; keys it cannot map are findings of the Result.
//
// With Options.Env, or without environments: in the manifest, the Result
// holds one set of settings. Otherwise it holds the base values and a
// Layer per environment, as Copilot applies each environment's overrides
// over the base.
func Import(data []byte, opts Options) (*Result, error) {
	doc, err := parse(data)
	if err != nil {
		return nil, &Error{Problems: []Problem{{Message: err.Error()}}}
	}
	first := &importer{opts: opts, root: node{Node: doc}, res: &Result{}}
	if !first.checkType() {
		return nil, &Error{Problems: first.problems}
	}
	envs, names, problems := environments(first.root)
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	if opts.Env != "" || len(names) == 0 {
		im := importOnce(data, opts, opts.Env, false)
		im.res.Environments = names
		im.reportEnvironments(envs, names)
		return finish(im.res, im.problems)
	}

	base := importOnce(data, opts, "", true)
	res := base.res
	res.Environments = names
	var perEnv []string
	res.Settings, perEnv = withoutUnknownEnv(res.Settings)
	res.Findings = slices.DeleteFunc(res.Findings, func(f Finding) bool { return strings.Contains(f.Message, unknownEnv) })
	res.Aliases = slices.DeleteFunc(res.Aliases, func(a string) bool { return strings.Contains(a, unknownEnv) })
	all := slices.DeleteFunc(base.problems, func(p Problem) bool { return strings.Contains(p.Message, unknownEnv) })
	for _, name := range names {
		layer := importOnce(data, opts, name, false)
		res.Layers = append(res.Layers, Layer{Name: name, Settings: layer.res.Settings})
		all = append(all, layer.problems...)
		res.Findings = append(res.Findings, layer.res.Findings...)
	}
	res.Findings = append(res.Findings, Finding{Kind: Changed, Key: "environments", Line: envs.line(),
		Message: fmt.Sprintf("each of %s is a layer under environments: in the config, with the keys its overrides change; deploy one with --environment NAME (stack NAME-ENVIRONMENT). The layers set dedicated-alb, so the service keeps a load balancer of its own", strings.Join(names, ", "))})
	if len(perEnv) > 0 {
		res.Findings = append(res.Findings, Finding{Kind: Changed, Key: "environments", Line: envs.line(),
			Message: fmt.Sprintf("these use ${COPILOT_ENVIRONMENT_NAME}, so each layer sets them and the base values leave them out: %s. A Copilot environment the manifest does not list needs an import with --env NAME, or a layer of its own", strings.Join(perEnv, ", "))})
	}
	return finish(res, all)
}

// importOnce maps the manifest with the overrides of env applied (none
// for ""). Each pass parses the manifest anew, as filling placeholders
// writes into the nodes.
func importOnce(data []byte, opts Options, env string, envUnknown bool) *importer {
	doc, _ := parse(data) // parsed once before
	im := &importer{opts: opts, root: node{Node: doc}, res: &Result{}, env: env, envUnknown: envUnknown,
		unused: map[*yaml.Node]bool{}}
	im.applyEnvironment()
	im.placeholders()
	unknownKeys(im.root, lbwsKeys, func(f Finding, value node) {
		im.markUnused(value)
		im.find(f)
	})
	im.mapAll()
	im.resolvePlaceholders()
	return im
}

// finish sorts the findings and problems, drops the repeats that several
// passes give, and returns the Result or every problem.
func finish(res *Result, problems []Problem) (*Result, error) {
	problems = unique(problems, Problem.String)
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
		return nil, &Error{Problems: problems}
	}
	res.Findings = unique(res.Findings, func(f Finding) string { return fmt.Sprint(f.Kind) + f.String() })
	sort.SliceStable(res.Findings, func(i, j int) bool {
		a, b := res.Findings[i], res.Findings[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Key < b.Key
	})
	return res, nil
}

func unique[T any](items []T, key func(T) string) []T {
	seen := map[string]bool{}
	var out []T
	for _, it := range items {
		if k := key(it); !seen[k] {
			seen[k] = true
			out = append(out, it)
		}
	}
	return out
}

// withoutUnknownEnv leaves out of the base values what uses
// ${COPILOT_ENVIRONMENT_NAME}, which each layer sets with its own name: a
// list's entries (a variable, a secret), or a whole setting. It names what
// it left out.
func withoutUnknownEnv(settings []Setting) (kept []Setting, left []string) {
	dependent := func(v string) bool { return strings.Contains(v, unknownEnv) }
	for _, s := range settings {
		if !slices.ContainsFunc(s.Values, dependent) {
			kept = append(kept, s)
			continue
		}
		if !s.List {
			left = append(left, s.Key)
			continue
		}
		var values []string
		var styles []yaml.Style
		for i, v := range s.Values {
			if dependent(v) {
				name, _, _ := strings.Cut(v, "=")
				left = append(left, s.Key+" "+name)
				continue
			}
			values = append(values, v)
			if i < len(s.Styles) {
				styles = append(styles, s.Styles[i])
			}
		}
		s.Values, s.Styles = values, styles
		kept = append(kept, s)
	}
	return kept, left
}

func (im *importer) problem(n node, format string, args ...any) {
	im.problems = append(im.problems, Problem{Key: im.where(n), Line: n.line(), Message: fmt.Sprintf(format, args...)})
}

func (im *importer) addProblem(p *Problem) bool {
	if p != nil {
		im.problems = append(im.problems, *p)
		return true
	}
	return false
}

func (im *importer) find(f Finding) { im.res.Findings = append(im.res.Findings, f) }

// report adds a finding about n. A key that is not imported, or that
// Copilot ignores, is not used: its placeholders need no value.
func (im *importer) report(kind Kind, n node, format string, args ...any) {
	if kind == Unsupported || kind == Ignored {
		im.markUnused(n)
	}
	im.find(Finding{Kind: kind, Key: im.where(n), Line: n.line(), Message: fmt.Sprintf(format, args...)})
}

// markUnused marks n and everything under it as not used by the config.
func (im *importer) markUnused(n node) {
	if n.Node == nil {
		return
	}
	im.unused[n.Node] = true
	for _, c := range n.Content {
		im.markUnused(node{Node: c})
	}
}

// set records a setting from the manifest node n, with the manifest's
// quoting of a value it takes as it is.
func (im *importer) set(key string, n node, values ...string) *Setting {
	s := im.setFrom(key, im.where(n), n.line(), values...)
	if len(values) == 1 && n.isScalar() && n.Value == values[0] && n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 {
		s.Styles = []yaml.Style{n.Style}
	}
	return s
}

func (im *importer) setFrom(key, source string, line int, values ...string) *Setting {
	for i := range im.res.Settings {
		if im.res.Settings[i].Key == key {
			im.res.Settings[i] = Setting{Key: key, Values: values, Source: source, Line: line}
			return &im.res.Settings[i]
		}
	}
	im.res.Settings = append(im.res.Settings, Setting{Key: key, Values: values, Source: source, Line: line})
	return &im.res.Settings[len(im.res.Settings)-1]
}

// setDefault records Copilot's default for a key the manifest leaves out.
func (im *importer) setDefault(key, source string, value string) {
	s := im.setFrom(key, source, 0, value)
	s.Note = copilotDefault
}

// checkType accepts only a Load Balanced Web Service manifest.
func (im *importer) checkType() bool {
	t, ok := im.root.get("type")
	if !ok {
		what := "not a Copilot service manifest: it has no type"
		if _, pipeline := im.root.get("stages"); pipeline {
			what = "a Copilot pipeline manifest, not a service manifest"
		}
		im.problems = append(im.problems, Problem{Key: "type", Line: im.root.line(),
			Message: what + `; expected type: "Load Balanced Web Service" (copilot/<service>/manifest.yml)`})
		return false
	}
	v, p := t.str()
	if im.addProblem(p) {
		return false
	}
	if v == LBWS {
		return true
	}
	if why, known := otherTypes[v]; known {
		im.problem(t, "%q cannot be imported: %s", v, why)
	} else {
		im.problem(t, "%q is not a Copilot service type: expected %q", v, LBWS)
	}
	return false
}

// environments reads the names under environments:, sorted, and checks
// that each holds a map of overrides.
func environments(root node) (envs node, names []string, problems []Problem) {
	envs, ok := root.get("environments")
	if !ok || envs.isNull() {
		return envs, nil, nil
	}
	if !envs.isMap() {
		return envs, nil, []Problem{envs.wrongType("a map of environment names to overrides")}
	}
	for _, e := range envs.entries() {
		names = append(names, e.name)
		if !e.value.isMap() && !e.value.isNull() {
			problems = append(problems, e.value.wrongType("a map of the keys this environment overrides"))
		}
	}
	sort.Strings(names)
	return envs, names, problems
}

// applyEnvironment removes environments: from the manifest and lays the
// overrides of im.env over the base values, as Copilot does when it
// deploys to that environment: maps merge key by key, and anything else
// replaces what was there.
func (im *importer) applyEnvironment() {
	envs, _ := im.root.get("environments")
	im.removeRootKey("environments")
	chosen, ok := envs.get(im.env)
	if im.env == "" || !ok || !chosen.isMap() {
		return
	}
	im.res.Applied = im.env
	im.fromEnv = map[*yaml.Node]bool{}
	var mark func(n *yaml.Node)
	mark = func(n *yaml.Node) {
		im.fromEnv[n] = true
		for _, c := range n.Content {
			mark(c)
		}
	}
	for _, c := range chosen.Content {
		mark(c)
	}
	im.root.Node = overlay(im.root.Node, chosen.Node)
}

// reportEnvironments says, for a config of one environment (Options.Env)
// or of a manifest without environments, whose overrides it holds.
func (im *importer) reportEnvironments(envs node, names []string) {
	var others []string
	for _, name := range names {
		if name != im.opts.Env {
			others = append(others, name)
		}
	}
	if im.res.Applied != "" {
		chosen, _ := envs.get(im.res.Applied)
		im.report(Changed, chosen, "the overrides of environment %s are applied: the config describes the service as Copilot deployed it there", im.res.Applied)
	}
	if len(others) > 0 {
		im.report(Changed, envs, "the overrides for %s are not in this config: without --env, the import writes every environment as a layer of one config", strings.Join(others, ", "))
	}
}

func ptr[T any](v T) *T { return &v }

func (im *importer) removeRootKey(key string) {
	c := *im.root.Node
	c.Content = nil
	for i := 0; i+1 < len(im.root.Content); i += 2 {
		if im.root.Content[i].Value != key {
			c.Content = append(c.Content, im.root.Content[i], im.root.Content[i+1])
		}
	}
	im.root.Node = &c
}

// placeholders fills ${COPILOT_APPLICATION_NAME}, ${COPILOT_ENVIRONMENT_NAME}
// and shell variables, as Copilot does when it reads the manifest. The ones
// nothing fills wait in pending until the mapping knows whether their keys
// are used.
func (im *importer) placeholders() {
	interpolate(im.root, func(name string) (string, bool) {
		switch name {
		case AppPlaceholder:
			return im.opts.App, im.opts.App != ""
		case EnvPlaceholder:
			if im.envUnknown {
				return unknownEnv, true
			}
			return im.env, im.env != ""
		}
		if im.opts.Getenv == nil {
			return "", false
		}
		return im.opts.Getenv(name)
	}, func(n node, name string) {
		im.pending = append(im.pending, pendingPlaceholder{n: n.Node, key: im.where(n), line: n.line(), name: name})
	})
}

// resolvePlaceholders makes a problem of each placeholder nothing filled in
// a key the config uses; the keys it does not use (reported as not
// imported, ignored by Copilot, or replaced by --image) need no value.
func (im *importer) resolvePlaceholders() {
	seen := map[string]bool{}
	for _, p := range im.pending {
		if im.unused[p.n] {
			continue
		}
		var msg string
		switch {
		case p.name == AppPlaceholder:
			msg = "uses ${COPILOT_APPLICATION_NAME}, Copilot's application name: give it with --app NAME"
		case p.name == EnvPlaceholder:
			msg = "uses ${COPILOT_ENVIRONMENT_NAME}, the Copilot environment the service runs in: give it with --env NAME"
		case strings.HasSuffix(p.key, "image.location") || strings.Contains(p.key, "image.build"):
			// --image replaces the key, and is what the README recommends
			// for an image Copilot would build or tag at deploy time.
			msg = fmt.Sprintf("uses ${%s}, which Copilot fills from the shell's environment when it deploys: give the image to deploy with --image URI, which replaces this key, or set %s in the environment of the import", p.name, p.name)
		default:
			msg = fmt.Sprintf("uses ${%s}, which Copilot fills from the shell's environment when it deploys: set %s in the environment of the import, or write the value into the manifest", p.name, p.name)
		}
		if k := p.key + msg; !seen[k] {
			seen[k] = true
			im.problems = append(im.problems, Problem{Key: p.key, Line: p.line, Message: msg})
		}
	}
}

func (im *importer) mapAll() {
	im.name()
	im.image()
	im.task()
	im.count()
	im.deployment()
	im.network()
	im.environment()
	im.storage()
	im.execAndReadOnly()
	im.logging()
	im.http()
	im.unsupportedKeys()
}

func (im *importer) name() {
	n, ok := im.root.get("name")
	if !ok {
		im.problems = append(im.problems, Problem{Key: "name", Line: im.root.line(), Message: "missing: the service's name, which becomes cfnfargate's name"})
		return
	}
	v, p := n.str()
	if im.addProblem(p) {
		return
	}
	im.res.Service = v
	im.set(stack.KeyName, n, v)
}

// duration maps the duration at parent.key onto a setting in seconds, or
// sets Copilot's default when the key is absent.
func (im *importer) duration(parent node, key, setting string, copilotDefaultValue int) {
	n, ok := parent.get(key)
	if !ok {
		im.setDefault(setting, join(parent.key, key), strconv.Itoa(copilotDefaultValue))
		return
	}
	secs, rounded, p := n.seconds()
	if im.addProblem(p) {
		return
	}
	im.set(setting, n, strconv.Itoa(secs))
	if rounded {
		im.report(Changed, n, "%s rounded up to %d s: the AWS setting takes whole seconds", n.Value, secs)
	}
}

// number maps the whole number at parent.key onto a setting, or sets
// Copilot's default when the key is absent.
func (im *importer) number(parent node, key, setting string, copilotDefaultValue int) {
	n, ok := parent.get(key)
	if !ok {
		im.setDefault(setting, join(parent.key, key), strconv.Itoa(copilotDefaultValue))
		return
	}
	v, p := n.integer()
	if !im.addProblem(p) {
		im.set(setting, n, strconv.Itoa(v))
	}
}
