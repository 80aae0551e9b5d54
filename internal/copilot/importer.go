package copilot

import (
	"fmt"
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
	// to apply.
	App string
	Env string
	// Image is the image URI to run; it replaces image.location and is
	// required when the manifest only builds its image (image.build).
	// ImageSource names where it came from in messages ("--image" when
	// empty).
	Image       string
	ImageSource string
	// Region and Account turn secret names into the ARNs cfnfargate's
	// secret setting takes.
	Region  string
	Account string
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
	Service  string
	Settings []Setting
	Findings []Finding
	// Environments are the names under environments:, sorted; Applied is
	// the one whose overrides were applied, if any.
	Environments []string
	Applied      string
}

// Setting returns the imported setting with key, if any.
func (r *Result) Setting(key string) (Setting, bool) {
	for _, s := range r.Settings {
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
	// fromEnv holds the nodes of the applied environments: block, so that
	// settings and problems name environments.ENV.key for them.
	fromEnv map[*yaml.Node]bool
}

// where is the dotted key of n as the manifest spells it: under
// environments.ENV when the applied overrides gave it.
func (im *importer) where(n node) string {
	if im.fromEnv[n.Node] {
		return "environments." + im.res.Applied + "." + n.key
	}
	return n.key
}

// Import maps a Copilot Load Balanced Web Service manifest onto
// cfnfargate's settings. A manifest it cannot use returns an *Error listing
// every problem; keys it cannot map are findings of the Result.
func Import(data []byte, opts Options) (*Result, error) {
	doc, err := parse(data)
	if err != nil {
		return nil, &Error{Problems: []Problem{{Message: err.Error()}}}
	}
	im := &importer{opts: opts, root: node{Node: doc}, res: &Result{}}
	if !im.checkType() {
		return nil, &Error{Problems: im.problems}
	}
	im.environments()
	im.placeholders()
	unknownKeys(im.root, lbwsKeys, im.find)
	im.mapAll()
	if len(im.problems) > 0 {
		sort.SliceStable(im.problems, func(i, j int) bool { return im.problems[i].Line < im.problems[j].Line })
		return nil, &Error{Problems: im.problems}
	}
	sort.SliceStable(im.res.Findings, func(i, j int) bool {
		a, b := im.res.Findings[i], im.res.Findings[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Key < b.Key
	})
	return im.res, nil
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

func (im *importer) report(kind Kind, n node, format string, args ...any) {
	im.find(Finding{Kind: kind, Key: im.where(n), Line: n.line(), Message: fmt.Sprintf(format, args...)})
}

// set records a setting from the manifest node n.
func (im *importer) set(key string, n node, values ...string) *Setting {
	return im.setFrom(key, im.where(n), n.line(), values...)
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

// environments applies the environments: block of opts.Env, so that one
// environment yields one flat config. cfnfargate has no named environments
// yet, so the others are reported.
func (im *importer) environments() {
	envs, ok := im.root.get("environments")
	if !ok || envs.isNull() {
		im.removeRootKey("environments")
		return
	}
	if !envs.isMap() {
		im.addProblem(ptr(envs.wrongType("a map of environment names to overrides")))
		return
	}
	var chosen node
	for _, e := range envs.entries() {
		im.res.Environments = append(im.res.Environments, e.name)
		if e.name == im.opts.Env {
			chosen = e.value
		}
		if !e.value.isMap() && !e.value.isNull() {
			im.addProblem(ptr(e.value.wrongType("a map of the keys this environment overrides")))
		}
	}
	sort.Strings(im.res.Environments)
	im.removeRootKey("environments")
	var others []string
	for _, name := range im.res.Environments {
		if name != im.opts.Env {
			others = append(others, name)
		}
	}
	switch {
	case im.opts.Env == "":
		im.report(Unsupported, envs, "overrides for %s were not applied: cfnfargate has no named environments yet, and without --env the config holds the manifest's base values. Import once per environment with --env NAME: each run applies that environment's overrides and writes one config", strings.Join(im.res.Environments, ", "))
		return
	case chosen.Node != nil && chosen.isMap():
		im.res.Applied = im.opts.Env
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
		im.report(Changed, chosen, "the overrides of environment %s are applied: the config describes the service as Copilot deployed it there", im.opts.Env)
	}
	if len(others) > 0 {
		// One config per environment is the way to import several, so
		// leaving the others out is no loss under --strict.
		im.report(Changed, envs, "the overrides for %s are not in this config: cfnfargate has no named environments yet; run the import again with --env for each (and --output to another file)", strings.Join(others, ", "))
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
// and shell variables, as Copilot does when it reads the manifest.
func (im *importer) placeholders() {
	missing := map[string]bool{}
	interpolate(im.root, func(name string) (string, bool) {
		switch name {
		case AppPlaceholder:
			return im.opts.App, im.opts.App != ""
		case EnvPlaceholder:
			return im.opts.Env, im.opts.Env != ""
		}
		if im.opts.Getenv == nil {
			return "", false
		}
		return im.opts.Getenv(name)
	}, func(key string, line int, name string) {
		var msg string
		switch name {
		case AppPlaceholder:
			msg = "uses ${COPILOT_APPLICATION_NAME}, Copilot's application name: give it with --app NAME"
		case EnvPlaceholder:
			msg = "uses ${COPILOT_ENVIRONMENT_NAME}, the Copilot environment the service runs in: give it with --env NAME"
		default:
			msg = fmt.Sprintf("uses ${%s}, which Copilot fills from the shell's environment when it deploys: set %s in the environment of the import, or write the value into the manifest", name, name)
		}
		if k := key + msg; !missing[k] {
			missing[k] = true
			im.problems = append(im.problems, Problem{Key: key, Line: line, Message: msg})
		}
	})
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

func (im *importer) optionalInt(key, setting string) {
	if n, ok := im.root.get(key); ok {
		v, p := n.integer()
		if !im.addProblem(p) {
			im.set(setting, n, strconv.Itoa(v))
		}
	}
}
