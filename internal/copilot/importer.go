package copilot

import (
	"fmt"
	"regexp"
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

func (im *importer) image() {
	img, ok := im.root.get("image")
	if ok && !img.isMap() {
		im.addProblem(ptr(img.wrongType("a map with location or build, and port")))
		return
	}
	location, hasLocation := img.get("location")
	build, hasBuild := img.get("build")
	loc := ""
	if hasLocation {
		v, p := location.str()
		if im.addProblem(p) {
			return
		}
		loc = v
	}
	switch {
	case im.opts.Image != "":
		source := im.opts.ImageSource
		if source == "" {
			source = "--image"
		}
		im.setFrom(stack.KeyImage, source, 0, im.opts.Image)
		if hasLocation && loc != im.opts.Image {
			im.report(Changed, location, "%s %s replaces %s", source, im.opts.Image, loc)
		}
		if hasBuild {
			im.report(Changed, build, "cfnfargate deploys an image and does not build one: build and push each new version, then deploy it with --image (or the ContainerImage parameter)")
		}
	case hasLocation:
		im.set(stack.KeyImage, location, loc)
	case hasBuild:
		im.problem(build, "Copilot builds this image from a Dockerfile, and the manifest names no image to run: cfnfargate deploys an image and does not build one. Build and push the image (docker build, then docker push to an ECR repository), then run the import again with --image URI")
	default:
		im.problems = append(im.problems, Problem{Key: "image.location", Line: im.root.keyLine("image"), Message: "missing: the manifest names no image; give one with --image URI"})
	}

	if port, ok := img.get("port"); ok {
		v, p := port.integer()
		if !im.addProblem(p) {
			im.port = v
			im.set(stack.KeyContainerPort, port, strconv.Itoa(v))
		}
	} else {
		im.problems = append(im.problems, Problem{Key: "image.port", Line: im.root.keyLine("image"),
			Message: "missing: the port the container listens on, where the load balancer sends requests"})
	}
	if hc, ok := img.get("healthcheck"); ok {
		im.containerHealthCheck(hc)
	}
}

// containerHealthCheck maps image.healthcheck onto cfnfargate's container
// health check, which runs a shell command (CMD-SHELL).
func (im *importer) containerHealthCheck(hc node) {
	if !hc.isMap() {
		im.addProblem(ptr(hc.wrongType("a map with command, interval, retries, timeout and start_period")))
		return
	}
	cmd, ok := hc.get("command")
	if !ok {
		im.problem(hc, "has no command: Copilot runs no container health check without one; add command or remove image.healthcheck")
		return
	}
	args, p := cmd.strings()
	if im.addProblem(p) {
		return
	}
	var shell string
	switch {
	case len(args) == 1:
		shell = args[0]
	case len(args) > 1 && args[0] == "CMD-SHELL":
		shell = strings.Join(args[1:], " ")
	case len(args) > 1 && args[0] == "CMD":
		// cfnfargate always runs the check with CMD-SHELL; quoting each
		// argument keeps the command the same through the shell.
		quoted := make([]string, len(args)-1)
		for i, a := range args[1:] {
			quoted[i] = shellQuote(a)
		}
		shell = strings.Join(quoted, " ")
		im.report(Changed, cmd, "runs through the container's shell (CMD-SHELL) as %s: the image needs /bin/sh", shell)
	default:
		im.problem(cmd, "expected a list starting with CMD or CMD-SHELL, such as [CMD-SHELL, \"curl -f http://localhost/ || exit 1\"]")
		return
	}
	im.set(stack.KeyContainerHealthCheck, cmd, shell)
	im.duration(hc, "interval", stack.KeyContainerHCInterval, copilotContainerHCInterval)
	im.number(hc, "retries", stack.KeyContainerHCRetries, copilotContainerHCRetries)
	im.duration(hc, "timeout", stack.KeyContainerHCTimeout, copilotContainerHCTimeout)
	im.duration(hc, "start_period", stack.KeyContainerHCStartPeriod, copilotContainerHCStart)
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
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

func (im *importer) task() {
	im.optionalInt("cpu", stack.KeyCPU)
	im.optionalInt("memory", stack.KeyMemory)
	if n, ok := im.root.get("exec"); ok {
		v, p := n.boolean()
		if !im.addProblem(p) {
			im.set(stack.KeyEnableExec, n, strconv.FormatBool(v))
		}
	}
	if n, ok := im.root.get("platform"); ok {
		im.platform(n)
	}
}

// platform maps Copilot's "os/arch" string or {osfamily, architecture} map.
func (im *importer) platform(n node) {
	var osName, arch string
	switch {
	case n.isScalar():
		osName, arch, _ = strings.Cut(strings.ToLower(n.Value), "/")
	case n.isMap():
		if v, ok := n.get("osfamily"); ok {
			osName, _ = v.str()
			osName = strings.ToLower(osName)
		}
		if v, ok := n.get("architecture"); ok {
			arch, _ = v.str()
			arch = strings.ToLower(arch)
		}
	default:
		im.addProblem(ptr(n.wrongType("a platform such as linux/x86_64 or linux/arm64")))
		return
	}
	if osName != "" && osName != "linux" {
		im.problem(n, "%q runs Windows containers; cfnfargate runs Linux tasks only: rebuild the image for Linux, or stay on a Windows-capable tool", n.Value)
		return
	}
	switch arch {
	case "", "x86_64", "amd64":
		im.set(stack.KeyArch, n, stack.ArchX86)
	case "arm64", "arm", "aarch64":
		im.set(stack.KeyArch, n, stack.ArchARM64)
	default:
		im.problem(n, "%q is not an architecture Fargate runs: use linux/x86_64 or linux/arm64", arch)
	}
}

// count maps a task count, or an autoscaling range with its targets,
// Spot split and cooldowns.
func (im *importer) count() {
	n, ok := im.root.get("count")
	if !ok || n.isNull() {
		return
	}
	if n.isScalar() {
		v, p := n.integer()
		if !im.addProblem(p) {
			im.set(stack.KeyDesiredCount, n, strconv.Itoa(v))
		}
		return
	}
	if !n.isMap() {
		im.addProblem(ptr(n.wrongType("a number of tasks, or a map with range and cpu_percentage or requests")))
		return
	}
	rng, hasRange := n.get("range")
	if spot, ok := n.get("spot"); ok {
		v, p := spot.integer()
		if im.addProblem(p) {
			return
		}
		if hasRange {
			im.problem(spot, "cannot go with count.range: for Spot with autoscaling, use range.spot_from")
			return
		}
		// count.spot runs every task on Fargate Spot (common-svc-fields.en.md).
		im.set(stack.KeyDesiredCount, spot, strconv.Itoa(v))
		im.set(stack.KeySpot, spot, "true")
		im.set(stack.KeySpotBase, spot, "0").Note = "every task on Spot, as count.spot runs them"
		im.set(stack.KeySpotWeight, spot, "0")
	}
	for _, metric := range []string{"memory_percentage", "response_time"} {
		if m, ok := n.get(metric); ok {
			im.report(Unsupported, m, "cfnfargate scales on CPU (count.cpu_percentage) and requests per task (count.requests) only; the config leaves this target out")
		}
	}
	cpu, hasCPU := n.get("cpu_percentage")
	reqs, hasReqs := n.get("requests")
	if !hasRange {
		if hasCPU || hasReqs {
			im.problem(n, "has scaling targets but no range: Copilot needs count.range (such as 1-10) to autoscale")
		}
		return
	}
	lo, hi, spotFrom, ok := im.countRange(rng)
	if !ok {
		return
	}
	if spotFrom > 0 {
		// spot_from N places the first N-1 tasks on regular Fargate and the
		// rest on Spot (common-svc-fields.en.md, count.range.spot_from).
		spotNode, _ := rng.get("spot_from")
		im.set(stack.KeySpot, spotNode, "true")
		im.set(stack.KeySpotBase, spotNode, strconv.Itoa(spotFrom-1)).Note = fmt.Sprintf("spot_from %d: the first %d task(s) on regular Fargate", spotFrom, spotFrom-1)
		im.set(stack.KeySpotWeight, spotNode, "0")
	}
	if !hasCPU && !hasReqs {
		im.set(stack.KeyDesiredCount, rng, strconv.Itoa(lo))
		im.report(Unsupported, rng, "has no target cfnfargate scales on (count.cpu_percentage or count.requests): the config runs %d task(s) and does not autoscale", lo)
		return
	}
	// With autoscaling, cfnfargate starts the service at min-count, as
	// Copilot starts it at the range's minimum.
	im.set(stack.KeyMinCount, rng, strconv.Itoa(lo))
	im.set(stack.KeyMaxCount, rng, strconv.Itoa(hi))

	in, out := copilotScaleIn, copilotScaleOut
	inSrc, outSrc := "count.cooldown", "count.cooldown"
	inLine, outLine := 0, 0
	if cd, ok := n.get("cooldown"); ok {
		in, inLine = im.cooldown(cd, "scale_in_cooldown", in)
		out, outLine = im.cooldown(cd, "scale_out_cooldown", out)
	}
	// cfnfargate has one pair of cooldowns for both policies; a metric's
	// own cooldown wins over count.cooldown, the first metric's over the
	// second's.
	var seen []string
	for _, m := range []struct {
		node node
		ok   bool
		key  string
	}{{cpu, hasCPU, stack.KeyScaleCPUPercent}, {reqs, hasReqs, stack.KeyScaleRequestsPerTarget}} {
		if !m.ok {
			continue
		}
		value, cd := m.node, node{}
		if m.node.isMap() {
			v, ok := m.node.get("value")
			if !ok {
				im.problem(m.node, "has no value")
				continue
			}
			value = v
			cd, _ = m.node.get("cooldown")
		}
		target, p := value.integer()
		if im.addProblem(p) {
			continue
		}
		im.set(m.key, value, strconv.Itoa(target))
		if cd.Node == nil {
			continue
		}
		if !cd.isMap() {
			im.addProblem(ptr(cd.wrongType("a map with scale_in_cooldown and scale_out_cooldown")))
			continue
		}
		if len(seen) > 0 {
			im.report(Changed, cd, "cfnfargate has one scale-in and one scale-out cooldown for both targets: the config keeps those of %s", seen[0])
			continue
		}
		seen = append(seen, cd.key)
		if _, ok := cd.get("scale_in_cooldown"); ok {
			in, inLine = im.cooldown(cd, "scale_in_cooldown", in)
			inSrc = cd.key
		}
		if _, ok := cd.get("scale_out_cooldown"); ok {
			out, outLine = im.cooldown(cd, "scale_out_cooldown", out)
			outSrc = cd.key
		}
	}
	im.setCooldown(stack.KeyScaleInCooldown, inSrc+".scale_in_cooldown", inLine, in)
	im.setCooldown(stack.KeyScaleOutCooldown, outSrc+".scale_out_cooldown", outLine, out)
}

func (im *importer) setCooldown(key, source string, line, secs int) {
	s := im.setFrom(key, source, line, strconv.Itoa(secs))
	if line == 0 {
		s.Note = copilotDefault
	}
}

// cooldown reads one cooldown of cd, keeping fallback when it is absent.
func (im *importer) cooldown(cd node, key string, fallback int) (int, int) {
	if !cd.isMap() {
		im.addProblem(ptr(cd.wrongType("a map with scale_in_cooldown and scale_out_cooldown")))
		return fallback, 0
	}
	n, ok := cd.get(key)
	if !ok {
		return fallback, 0
	}
	secs, _, p := n.seconds()
	if im.addProblem(p) {
		return fallback, 0
	}
	return secs, n.line()
}

var rangePattern = regexp.MustCompile(`^\s*(\d+)\s*-\s*(\d+)\s*$`)

// countRange reads "1-10" or {min, max, spot_from}.
func (im *importer) countRange(rng node) (lo, hi, spotFrom int, ok bool) {
	switch {
	case rng.isScalar():
		m := rangePattern.FindStringSubmatch(rng.Value)
		if m == nil {
			im.problem(rng, "%q is not a range: expected MIN-MAX, such as 1-10", rng.Value)
			return 0, 0, 0, false
		}
		lo, _ = strconv.Atoi(m[1])
		hi, _ = strconv.Atoi(m[2])
	case rng.isMap():
		minNode, hasMin := rng.get("min")
		maxNode, hasMax := rng.get("max")
		if !hasMin || !hasMax {
			im.problem(rng, "needs both min and max")
			return 0, 0, 0, false
		}
		var p1, p2 *Problem
		lo, p1 = minNode.integer()
		hi, p2 = maxNode.integer()
		if im.addProblem(p1) || im.addProblem(p2) {
			return 0, 0, 0, false
		}
		if sf, has := rng.get("spot_from"); has {
			v, p := sf.integer()
			if im.addProblem(p) {
				return 0, 0, 0, false
			}
			if v < 1 {
				im.problem(sf, "%d is out of range: the first task to place on Spot counts from 1", v)
				return 0, 0, 0, false
			}
			spotFrom = v
		}
	default:
		im.addProblem(ptr(rng.wrongType("a range such as 1-10, or a map with min and max")))
		return 0, 0, 0, false
	}
	if lo > hi {
		im.problem(rng, "minimum %d is above maximum %d", lo, hi)
		return 0, 0, 0, false
	}
	return lo, hi, spotFrom, true
}

func (im *importer) deployment() {
	d, ok := im.root.get("deployment")
	if !ok || d.isNull() {
		return
	}
	if r, ok := d.get("rolling"); ok {
		v, p := r.str()
		if im.addProblem(p) {
			return
		}
		switch v {
		case "default":
		case "recreate":
			// Copilot's recreate stops every old task before starting new
			// ones (deployment.en.md): ECS's minimum 0 and maximum 100.
			im.set(stack.KeyMinHealthyPercent, r, "0").Note = "recreate: stop the old tasks first"
			im.set(stack.KeyMaxPercent, r, "100").Note = "recreate: stop the old tasks first"
		default:
			im.problem(r, "%q is not a rolling strategy: Copilot takes default or recreate", v)
		}
	}
	if a, ok := d.get("rollback_alarms"); ok {
		im.report(Unsupported, a, "alarm-based rollback has not landed in cfnfargate yet: deployments still roll back when their tasks fail to start or to pass health checks (ECS's circuit breaker); watch the alarms yourself after each deploy until it lands")
	}
}

func (im *importer) network() {
	net, _ := im.root.get("network")
	vpc, _ := net.get("vpc")
	placement, ok := vpc.get("placement")
	switch {
	case !ok:
		// Copilot launches tasks in public subnets unless told otherwise
		// (network-vpc.en.md, "Defaults to launching your tasks in public
		// subnets"); cfnfargate's default is private.
		im.setDefault(stack.KeyPublicTasks, "network.vpc.placement", "true")
	case placement.isScalar():
		switch placement.Value {
		case "public":
			im.set(stack.KeyPublicTasks, placement, "true")
		case "private":
			im.set(stack.KeyPublicTasks, placement, "false")
		default:
			im.problem(placement, "%q is not a placement: Copilot takes public or private", placement.Value)
		}
	case placement.isMap():
		im.report(Unsupported, placement, "cfnfargate places tasks in the public or the private subnets that deploy is given: pass these subnets to deploy as --private-subnets (and keep public-tasks false)")
		im.set(stack.KeyPublicTasks, placement, "false")
	default:
		im.addProblem(ptr(placement.wrongType("public or private")))
	}
	if sg, ok := vpc.get("security_groups"); ok {
		im.report(Unsupported, sg, "cfnfargate gives the tasks one security group of its own, open to the load balancer only: allow that group (the stack's TaskSecurityGroup) in the rules of the resources these groups reached, such as a database")
	}
	if c, ok := net.get("connect"); ok {
		on := true
		if c.isScalar() {
			on, _ = c.boolean()
		}
		if on {
			im.report(Changed, c, "Service Connect is off after the move: cfnfargate does not join a Service Connect namespace, so callers inside the VPC that used http://%s (or its Service Connect alias) reach the service through its load balancer instead, at the stack's ServiceURL output; change their configuration before you delete the Copilot service", im.res.Service)
		}
	}
}

// envNamePattern is what Copilot and ECS take as a variable name.
var envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// environment maps variables, env_file and secrets.
func (im *importer) environment() {
	vars := map[string]string{}
	var order []string
	add := func(name, value string) {
		if _, ok := vars[name]; !ok {
			order = append(order, name)
		}
		vars[name] = value
	}
	firstLine := 0

	if f, ok := im.root.get("env_file"); ok {
		firstLine = f.line()
		for _, kv := range im.envFile(f) {
			add(kv[0], kv[1])
		}
	}
	// variables win over the env_file: "If there are environment variables
	// specified using the environment parameter in a container definition,
	// they take precedence over the variables contained within an
	// environment file" (ECS API reference, EnvironmentFile).
	if v, ok := im.root.get("variables"); ok && !v.isNull() {
		if firstLine == 0 {
			firstLine = v.line()
		}
		if !v.isMap() {
			im.addProblem(ptr(v.wrongType("a map of variable names to values")))
		}
		for _, e := range v.entries() {
			switch {
			case e.value.isMap():
				im.report(Unsupported, e.value, "takes its value from a CloudFormation export (from_cfn): look it up (aws cloudformation list-exports) and give the value in the config's env")
			case e.value.isScalar():
				add(e.name, e.value.Value)
			case e.value.isNull():
				add(e.name, "")
			default:
				im.addProblem(ptr(e.value.wrongType("a string, a number or true/false")))
			}
		}
	}
	// Copilot gives every task these variables (variables in
	// lb-web-service.en.md, "Copilot will include a number of environment
	// variables by default"); code that reads them keeps working.
	builtins := [][2]string{{"COPILOT_APPLICATION_NAME", im.opts.App}, {"COPILOT_ENVIRONMENT_NAME", im.opts.Env}, {"COPILOT_SERVICE_NAME", im.res.Service}}
	var added []string
	for _, b := range builtins {
		if _, set := vars[b[0]]; !set && b[1] != "" {
			add(b[0], b[1])
			added = append(added, b[0])
		}
	}
	env := make([]string, 0, len(order))
	for _, name := range order {
		env = append(env, name+"="+vars[name])
	}
	s := im.setFrom(stack.KeyEnv, "variables", firstLine, env...)
	s.List = true
	if len(added) > 0 {
		s.Note = "with " + strings.Join(added, ", ") + ", which Copilot sets in every task"
	}
	im.find(Finding{Kind: Changed, Key: "variables", Line: firstLine, Message: "Copilot also set COPILOT_LB_DNS and COPILOT_SERVICE_DISCOVERY_ENDPOINT in every task; cfnfargate does not: code that reads them needs the stack's LoadBalancerDNSName output instead"})

	im.secrets()
}

// envFile reads the env_file Copilot uploaded to S3 for ECS: VARIABLE=VALUE
// lines, with lines beginning with # ignored, and no shell escape handling
// (ECS API reference, EnvironmentFile).
func (im *importer) envFile(f node) [][2]string {
	path, p := f.str()
	if im.addProblem(p) {
		return nil
	}
	if im.opts.ReadEnvFile == nil {
		im.report(Unsupported, f, "cfnfargate has no environment files: put the variables of %s in the config's env", path)
		return nil
	}
	data, err := im.opts.ReadEnvFile(path)
	if err != nil {
		im.report(Unsupported, f, "could not read %s (%v): cfnfargate has no environment files; put its variables in the config's env", path, err)
		return nil
	}
	var out [][2]string
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok || !envNamePattern.MatchString(name) {
			im.problems = append(im.problems, Problem{Key: "env_file", Line: f.line(), Message: fmt.Sprintf("%s line %d: expected NAME=VALUE", path, i+1)})
			continue
		}
		out = append(out, [2]string{name, value})
	}
	im.report(Changed, f, "the variables of %s are copied into the config's env: cfnfargate has no environment files, so edit them there from now on", path)
	return out
}

var (
	regionPattern  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	accountPattern = regexp.MustCompile(`^\d{12}$`)
)

// partition is the ARN partition of a region.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// secrets maps secrets onto NAME=ARN pairs: cfnfargate's secret setting
// takes ARNs, which scope the task's IAM policy to exactly these secrets.
func (im *importer) secrets() {
	sec, ok := im.root.get("secrets")
	if !ok || sec.isNull() {
		return
	}
	if !sec.isMap() {
		im.addProblem(ptr(sec.wrongType("a map of variable names to SSM parameter names or Secrets Manager secrets")))
		return
	}
	var pairs []string
	for _, e := range sec.entries() {
		var arn string
		switch {
		case e.value.isScalar():
			arn = im.ssmARN(e.value)
		case e.value.isMap():
			if sm, ok := e.value.get("secretsmanager"); ok {
				arn = im.secretsManagerARN(sm)
			} else if _, ok := e.value.get("from_cfn"); ok {
				im.report(Unsupported, e.value, "takes its ARN from a CloudFormation export (from_cfn): look it up (aws cloudformation list-exports) and add %s=ARN to the config's secret", e.name)
			} else {
				im.problem(e.value, "expected an SSM parameter name, or a map with secretsmanager or from_cfn")
			}
		default:
			im.addProblem(ptr(e.value.wrongType("an SSM parameter name, or a map with secretsmanager")))
		}
		if arn != "" {
			pairs = append(pairs, e.name+"="+arn)
		}
	}
	if len(pairs) > 0 {
		s := im.set(stack.KeySecret, sec, pairs...)
		s.List = true
	}
}

// ssmARN turns an SSM parameter name into its ARN. A name that begins with
// a slash appears in the ARN without it (IAM Service Authorization
// Reference, AWS Systems Manager: arn:${Partition}:ssm:${Region}:${Account}:parameter/${ParameterName}).
func (im *importer) ssmARN(n node) string {
	name := n.Value
	if strings.HasPrefix(name, "arn:") {
		return name
	}
	if !im.haveAccount(n, fmt.Sprintf("is the SSM parameter %s; cfnfargate's secret setting takes its ARN, arn:aws:ssm:REGION:ACCOUNT:parameter/%s", name, strings.TrimPrefix(name, "/"))) {
		return ""
	}
	return fmt.Sprintf("arn:%s:ssm:%s:%s:parameter/%s", partition(im.opts.Region), im.opts.Region, im.opts.Account, strings.TrimPrefix(name, "/"))
}

// secretsManagerARN turns a secret's name (with an optional
// :json-key:version-stage:version-id suffix, as Copilot passes it to ECS)
// into a partial ARN: cfnfargate's IAM policy matches the six random
// characters Secrets Manager appends to the name with "-??????".
func (im *importer) secretsManagerARN(n node) string {
	v, p := n.str()
	if im.addProblem(p) || strings.HasPrefix(v, "arn:") {
		return v
	}
	if !im.haveAccount(n, fmt.Sprintf("is the Secrets Manager secret %s; cfnfargate's secret setting takes its ARN, arn:aws:secretsmanager:REGION:ACCOUNT:secret:%s", v, v)) {
		return ""
	}
	return fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s", partition(im.opts.Region), im.opts.Region, im.opts.Account, v)
}

func (im *importer) haveAccount(n node, what string) bool {
	if im.opts.Region != "" && im.opts.Account != "" {
		return true
	}
	im.problem(n, "%s: give --region and --account (those of the stack) to build it, or write the ARN into the manifest", what)
	return false
}

// execAndReadOnly leaves ECS Exec off under a read-only root filesystem,
// where its agent cannot work (cfnfargate refuses the pair): under Copilot
// the service ran with exec on but unusable, so it runs the same without.
func (im *importer) execAndReadOnly() {
	exec, hasExec := im.res.Setting(stack.KeyEnableExec)
	ro, hasRO := im.res.Setting(stack.KeyReadOnlyRootFS)
	if !hasExec || !hasRO || exec.Values[0] != "true" || ro.Values[0] != "true" {
		return
	}
	s := im.setFrom(stack.KeyEnableExec, exec.Source, exec.Line, "false")
	s.Note = "off: ECS Exec does not work with storage.readonly_fs"
	im.find(Finding{Kind: Changed, Key: exec.Source, Line: exec.Line, Message: "ECS Exec needs a writable root filesystem, and storage.readonly_fs is on: exec never worked for this service, and the config leaves it off; turn readonly_fs off to use exec"})
}

func (im *importer) storage() {
	st, ok := im.root.get("storage")
	if !ok || st.isNull() {
		return
	}
	if e, ok := st.get("ephemeral"); ok {
		v, p := e.integer()
		switch {
		case im.addProblem(p):
		case v < fargateDefaultStorage:
			im.problem(e, "%d is out of range: Fargate's task storage is 20 to 200 GiB", v)
		case v == fargateDefaultStorage:
			// cfnfargate's 0 keeps Fargate's 20 GiB.
		default:
			im.set(stack.KeyEphemeralStorage, e, strconv.Itoa(v))
		}
	}
	if r, ok := st.get("readonly_fs"); ok {
		v, p := r.boolean()
		if !im.addProblem(p) {
			im.set(stack.KeyReadOnlyRootFS, r, strconv.FormatBool(v))
			if v {
				im.report(Changed, r, "cfnfargate keeps %s writable on the task's storage (writable-path), which Copilot did not: most images write temporary files there", strings.Join(stack.DefaultWritablePaths, ", "))
			}
		}
	}
	if v, ok := st.get("volumes"); ok {
		im.report(Unsupported, v, "cfnfargate mounts no EFS or shared volumes: keep state in a database or S3, or stay on a tool that mounts EFS for this service")
	}
}

func (im *importer) logging() {
	lg, ok := im.root.get("logging")
	if !ok || lg.isNull() {
		return
	}
	if r, ok := lg.get("retention"); ok {
		v, p := r.integer()
		if !im.addProblem(p) {
			im.set(stack.KeyLogRetentionDays, r, strconv.Itoa(v))
		}
	}
	for _, e := range lg.entries() {
		if e.name != "retention" {
			im.report(Unsupported, e.value, "cfnfargate sends the container's output to CloudWatch Logs (awslogs) and has no FireLens log router: ship logs onward from the log group (a subscription filter), or stay on FireLens")
		}
	}
}

// http maps the load balancer's settings.
func (im *importer) http() {
	h, ok := im.root.get("http")
	h.key = "http"
	if ok && h.isScalar() && h.Tag == "!!bool" {
		if on, _ := h.boolean(); !on {
			im.problem(h, "false turns the Application Load Balancer off (a service behind a Network Load Balancer or none); cfnfargate always serves through an HTTPS Application Load Balancer, so this service cannot be imported as it is")
			return
		}
	}
	if ok && !h.isMap() && !h.isScalar() {
		im.addProblem(ptr(h.wrongType("a map")))
		return
	}
	if p, ok := h.get("path"); ok {
		v, prob := p.str()
		if !im.addProblem(prob) && strings.Trim(v, "/") != "" {
			im.report(Changed, p, "Copilot sent only requests under /%s to this service, on the environment's shared load balancer; cfnfargate's load balancer is the service's own and sends it every path. Paths reach the container unchanged, as before", strings.Trim(v, "/"))
		}
	}
	im.healthCheck(h)
	im.duration(h, "deregistration_delay", stack.KeyDeregistrationDelay, copilotDeregistering)
	if s, ok := h.get("stickiness"); ok {
		v, p := s.boolean()
		if !im.addProblem(p) && v {
			im.set(stack.KeyStickiness, s, strconv.Itoa(albDefaultCookieSeconds)).Note = "the load balancer's default cookie lifetime, one day, which Copilot kept"
		}
	}
	if ips, ok := h.get("allowed_source_ips"); ok {
		v, p := ips.strings()
		if !im.addProblem(p) {
			im.set(stack.KeyAllowCIDR, ips, v...).List = true
			im.report(Changed, ips, "other addresses can no longer connect at all (the load balancer's security group), where Copilot's listener rule answered them 403")
		}
	}
	im.alias(h)
	if t, ok := h.get("target_container"); ok && t.Value != im.res.Service {
		im.report(Unsupported, t, "routes to a sidecar; cfnfargate runs one container: make %s the image of the service", t.Value)
	}
	if t, ok := h.get("target_port"); ok {
		if v, _ := t.integer(); v != im.port {
			im.report(Unsupported, t, "cfnfargate sends requests to the container's port (image.port, %d): set image.port to %s or listen on %d", im.port, t.Value, im.port)
		}
	}
	if r, ok := h.get("redirect_to_https"); ok {
		if v, _ := r.boolean(); !v {
			im.report(Changed, r, "cfnfargate always redirects HTTP to HTTPS")
		}
	}
	if v, ok := h.get("version"); ok && !strings.EqualFold(v.Value, "http1") {
		im.report(Unsupported, v, "cfnfargate's target group speaks HTTP/1.1 to the container (clients still get HTTP/2 from the load balancer); gRPC and HTTP/2 to the container are not supported")
	}
	if a, ok := h.get("alb"); ok {
		im.report(Unsupported, a, "cfnfargate creates the service's own load balancer and cannot join an existing one")
	}
	if r, ok := h.get("additional_rules"); ok {
		im.report(Unsupported, r, "cfnfargate's load balancer sends every request to the one container: serve these paths from it, or deploy another stack for each extra route")
	}
}

// healthCheck maps http.healthcheck, a path or a map, and sets Copilot's
// defaults for what it leaves out.
func (im *importer) healthCheck(h node) {
	hc, ok := h.get("healthcheck")
	if ok && hc.isScalar() {
		im.set(stack.KeyHealthCheckPath, hc, hc.Value)
		hc = node{key: hc.key}
	} else if ok && !hc.isMap() && !hc.isNull() {
		im.addProblem(ptr(hc.wrongType("a path such as /health, or a map with path, interval and thresholds")))
		return
	}
	hc.key = "http.healthcheck"
	if hc.isMap() {
		if p, ok := hc.get("path"); ok {
			v, prob := p.str()
			if !im.addProblem(prob) {
				im.set(stack.KeyHealthCheckPath, p, v)
			}
		}
		if port, ok := hc.get("port"); ok {
			if v, _ := port.integer(); v != im.port {
				im.report(Unsupported, port, "cfnfargate checks health on the container's port (image.port, %d): serve the health check there", im.port)
			}
		}
	}
	if _, set := im.res.Setting(stack.KeyHealthCheckPath); !set {
		im.setDefault(stack.KeyHealthCheckPath, join(hc.key, "path"), copilotHCPath)
	}
	if c, ok := hc.get("success_codes"); ok {
		v, p := c.str()
		if !im.addProblem(p) {
			im.set(stack.KeyHealthCheckMatcher, c, v)
		}
	} else {
		im.setDefault(stack.KeyHealthCheckMatcher, join(hc.key, "success_codes"), copilotHCCodes)
	}
	im.number(hc, "healthy_threshold", stack.KeyHealthyThreshold, copilotHealthy)
	im.number(hc, "unhealthy_threshold", stack.KeyUnhealthyThreshold, copilotUnhealthy)
	im.duration(hc, "interval", stack.KeyHealthCheckInterval, copilotHCInterval)
	im.duration(hc, "timeout", stack.KeyHealthCheckTimeout, copilotHCTimeout)
	im.duration(hc, "grace_period", stack.KeyHealthCheckGracePeriod, copilotGracePeriod)
}

// alias maps the first of http.alias onto domain-name and hosted-zone-id.
// They are deferred: Copilot's own record for the name still exists, and
// the stack cannot create a record that exists, so they are turned on only
// once DNS has moved (see the README's "Moving from Copilot").
func (im *importer) alias(h node) {
	a, ok := h.get("alias")
	if !ok || a.isNull() {
		return
	}
	zone := ""
	if z, ok := h.get("hosted_zone"); ok {
		zone, _ = z.str()
	}
	type named struct {
		name, zone string
		n          node
	}
	var aliases []named
	items := []*yaml.Node{a.Node}
	if a.isSeq() {
		items = a.Content
	}
	for _, item := range items {
		it := node{item, a.key}
		switch {
		case it.isScalar():
			aliases = append(aliases, named{it.Value, zone, it})
		case it.isMap():
			nm, ok := it.get("name")
			if !ok {
				im.problem(it, "an alias map needs a name")
				continue
			}
			z := zone
			if zn, ok := it.get("hosted_zone"); ok {
				z, _ = zn.str()
			}
			aliases = append(aliases, named{nm.Value, z, it})
		default:
			im.addProblem(ptr(it.wrongType("a domain name, or a map with name and hosted_zone")))
		}
	}
	if len(aliases) == 0 {
		return
	}
	first := aliases[0]
	for _, other := range aliases[1:] {
		im.report(Unsupported, other.n, "cfnfargate serves one domain name (%s): point %s at the load balancer with a record of your own, and give deploy a certificate that covers both (--certificate-arn)", first.name, other.name)
	}
	if first.zone == "" {
		im.report(Unsupported, first.n, "%s has no hosted_zone: Copilot wrote its record in the application's hosted zone (copilot app init --domain). Add domain-name: %s and that zone's ID as hosted-zone-id to the config once DNS has moved", first.name, first.name)
		return
	}
	note := "turn on after DNS has moved to the new load balancer: Copilot's record for this name still exists, and the stack cannot create a record that exists"
	d := im.set(stack.KeyDomainName, first.n, first.name)
	d.Deferred, d.Note = true, note
	z := im.set(stack.KeyHostedZoneID, first.n, strings.TrimPrefix(first.zone, "/hostedzone/"))
	z.Deferred, z.Note = true, note
	im.report(Changed, first.n, "domain-name %s and hosted-zone-id %s are in the config as comments: deploy next to Copilot first, move the record, then turn them on (README, \"Moving from Copilot\")", first.name, first.zone)
}

// unsupportedKeys reports the keys cfnfargate has no setting for, that the
// other mappings do not look at.
func (im *importer) unsupportedKeys() {
	what := map[string]string{
		"entrypoint":        "cfnfargate runs the image's own ENTRYPOINT and CMD: set them in the Dockerfile",
		"command":           "cfnfargate runs the image's own ENTRYPOINT and CMD: set them in the Dockerfile",
		"sidecars":          "cfnfargate runs one container per task: move what the sidecars do into the service (or a service of its own), or stay on a tool with sidecars for this service",
		"observability":     "cfnfargate adds no X-Ray or OpenTelemetry collector: send traces from the application to a collector of your own",
		"publish":           "cfnfargate creates no SNS topics: create them in a stack of their own and give their ARNs to the service as env",
		"taskdef_overrides": "cfnfargate's template has no override rules: after emit, edit the template, or ask for the setting you need",
		"nlb":               "cfnfargate has no Network Load Balancer: the service is reached through its HTTPS Application Load Balancer",
	}
	keys := make([]string, 0, len(what))
	for k := range what {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if n, ok := im.root.get(k); ok && !n.isNull() {
			im.report(Unsupported, n, "%s", what[k])
		}
	}
	img, _ := im.root.get("image")
	for k, msg := range map[string]string{
		"credentials":   "cfnfargate pulls with the task execution role, from ECR or a public registry: push the image to ECR",
		"depends_on":    "cfnfargate runs one container, with nothing to wait for",
		"labels":        "cfnfargate sets no Docker labels: bake them into the image (LABEL)",
		"docker_labels": "cfnfargate sets no Docker labels: bake them into the image (LABEL)",
	} {
		if n, ok := img.get(k); ok {
			im.report(Unsupported, n, "%s", msg)
		}
	}
}
