package copilot

import (
	"slices"
	"strconv"
	"strings"

	"github.com/cfnfargate/cfnfargate/internal/lazyregexp"

	"github.com/cfnfargate/cfnfargate/stack"
)

// The image, the task and its network, storage and logs, and the keys
// cfnfargate has no setting for.

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
		// The image given replaces what the manifest says, so shell
		// variables there (a tag of ${IMAGE_TAG}, a build argument) need no
		// value.
		im.markUnused(location)
		im.markUnused(build)
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
		// Copilot deploys such a manifest and runs no container health
		// check: the task definition's HealthCheck needs a command (ECS API
		// reference, HealthCheck: "command ... Required: Yes").
		im.report(Ignored, hc, "has no command, so Copilot runs no container health check and its interval, retries and timeout do nothing; the config has none either. To check the container, add command (such as [CMD-SHELL, \"curl -f http://localhost:%d/ || exit 1\"]) and import again, or set container-health-check", max(im.port, 80))
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

var shellSafe = lazyregexp.New(`^[A-Za-z0-9_@%+=:,./-]+$`)

func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (im *importer) task() {
	im.number(im.root, "cpu", stack.KeyCPU, copilotCPU)
	im.number(im.root, "memory", stack.KeyMemory, copilotMemory)
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
		im.rollbackAlarms(a)
	}
}

// rollbackAlarms maps deployment.rollback_alarms: "As a list of strings,
// the names of existing CloudWatch alarms to associate with your service
// that may trigger a deployment rollback", or a map of CPU and memory
// thresholds from which Copilot creates alarms (deployment.en.md).
func (im *importer) rollbackAlarms(a node) {
	switch {
	case a.isNull():
	case a.isMap():
		var metrics []string
		for _, e := range a.entries() {
			metrics = append(metrics, e.name)
		}
		im.report(Unsupported, a, "Copilot creates alarms on the service's %s from these thresholds; cfnfargate creates alarms on 5xx responses and p99 latency (rollback-on-5xx, rollback-on-latency-p99), not on CPU or memory: create a CloudWatch alarm on the service's CPUUtilization or MemoryUtilization (namespace AWS/ECS) and give its name with rollback-alarm", strings.Join(metrics, " and "))
	default:
		names, p := a.strings()
		if !im.addProblem(p) {
			im.set(stack.KeyRollbackAlarm, a, names...).List = true
		}
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
		"nlb":               "cfnfargate has no Network Load Balancer: the service is reached through its Application Load Balancer",
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
