package twin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ECS: clusters, task definitions, services, their revisions, deployments
// (deployment.go) and tasks. Tasks do not run a container: they start,
// become healthy in their target group, write the start-up line the nginx
// image writes to the awslogs group of their container (in moto), and
// stop. An image whose reference contains "does-not-exist" cannot be
// pulled: a simulation of a registry without that tag, which a test can
// also produce on AWS with a tag that does not exist.

type containerService struct {
	clusters    map[string]*ecsCluster
	taskDefs    map[string]*taskDef
	families    map[string]int
	services    map[string]*ecsService
	tasks       map[string]*ecsTask
	deployments map[string]*deployment
	ip          int
}

func newContainerService() *containerService {
	return &containerService{clusters: map[string]*ecsCluster{}, taskDefs: map[string]*taskDef{}, families: map[string]int{},
		services: map[string]*ecsService{}, tasks: map[string]*ecsTask{}, deployments: map[string]*deployment{}}
}

type ecsCluster struct{ name, arn string }

type taskDef struct {
	arn, family, status string
	revision            int
	containers          []containerDef
	props               map[string]any
}

type containerDef struct {
	name, image, logGroup, logPrefix string
	port                             int
}

type ecsService struct {
	arn, name, cluster, status string
	taskDef                    string
	desired                    int
	config                     map[string]any   // deploymentConfiguration, camelCase
	lbs                        []map[string]any // loadBalancers, camelCase
	settings                   map[string]any   // other top-level settings, camelCase
	revisions                  []*revision
	deployments                []*deployment
	// prodTG is the target group that serves production, as ECS records it:
	// where the current revision's tasks are registered (B13, default).
	prodTG    string
	current   *revision
	createdAt time.Time
}

type revision struct {
	arn, id, taskDef string
	config           map[string]any
	lbs              []map[string]any
	createdAt        time.Time
}

type ecsTask struct {
	arn, id, cluster, service, taskDef, revision string
	lastStatus, desiredStatus, health            string
	createdAt, startedAt, stoppedAt, next        time.Time
	stoppedReason, stopCode                      string
	ip, az, tg                                   string
	failing                                      bool
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

// camel converts a CloudFormation property value (PascalCase keys) into
// the ECS API's camelCase shape; hookDetails is user data and stays as is.
func camel(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			if k == "HookDetails" {
				out["hookDetails"] = val
				continue
			}
			out[lowerFirst(k)] = camel(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = camel(x[i])
		}
		return out
	}
	return v
}

func (c *containerService) cluster(tw *Twin, name string) *ecsCluster {
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if name == "" {
		name = "default"
	}
	cl := c.clusters[name]
	if cl == nil {
		cl = &ecsCluster{name: name, arn: fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", Region, Account, name)}
		c.clusters[name] = cl
	}
	return cl
}

func (c *containerService) registerTaskDef(tw *Twin, props map[string]any) *taskDef {
	family := str(props["Family"])
	c.families[family]++
	td := &taskDef{family: family, revision: c.families[family], status: "ACTIVE", props: props}
	td.arn = fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", Region, Account, family, td.revision)
	for _, cd := range asList(props["ContainerDefinitions"]) {
		m := asMap(cd)
		d := containerDef{name: str(m["Name"]), image: str(m["Image"])}
		if pm := asList(m["PortMappings"]); len(pm) > 0 {
			d.port = intOf(asMap(pm[0])["ContainerPort"], 0)
		}
		if lc := asMap(m["LogConfiguration"]); str(lc["LogDriver"]) == "awslogs" {
			opts := asMap(lc["Options"])
			d.logGroup, d.logPrefix = str(opts["awslogs-group"]), str(opts["awslogs-stream-prefix"])
		}
		td.containers = append(td.containers, d)
	}
	c.taskDefs[td.arn] = td
	return td
}

// imageCannotStart is the fault a test injects with an image reference
// that names a tag no registry has.
func imageCannotStart(image string) bool { return strings.Contains(image, "does-not-exist") }

// launch starts a task of revision rev, registered in target group tg.
func (c *containerService) launch(tw *Twin, svc *ecsService, rev *revision, tg string, now time.Time) *ecsTask {
	id := tw.nextID(32)
	c.ip++
	t := &ecsTask{id: id, arn: fmt.Sprintf("arn:aws:ecs:%s:%s:task/%s/%s", Region, Account, svc.cluster, id),
		cluster: svc.cluster, service: svc.arn, taskDef: rev.taskDef, revision: rev.id, lastStatus: "PROVISIONING",
		desiredStatus: "RUNNING", health: "UNKNOWN", createdAt: now, next: now.Add(20 * time.Second), tg: tg,
		ip: fmt.Sprintf("10.0.%d.%d", 10+c.ip/250%2, c.ip%250+2), az: []string{"us-east-1a", "us-east-1b"}[c.ip%2]}
	if td := c.taskDefs[rev.taskDef]; td != nil {
		for _, cd := range td.containers {
			if imageCannotStart(cd.image) {
				t.failing = true
			}
		}
	}
	c.tasks[t.arn] = t
	return t
}

// stopTask asks a task to stop; it deregisters from its target group.
func (c *containerService) stopTask(tw *Twin, t *ecsTask, reason string, now time.Time) {
	if t.desiredStatus == "STOPPED" {
		return
	}
	t.desiredStatus = "STOPPED"
	t.stoppedReason = reason
	t.stopCode = "ServiceSchedulerInitiated"
	t.next = now.Add(5 * time.Second)
	if g := tw.elb.groups[t.tg]; g != nil {
		if target := g.targets[t.ip]; target != nil {
			target.state, target.reason = "draining", "Target.DeregistrationInProgress"
		}
	}
}

// stepTasks moves tasks through their lifecycle.
func (c *containerService) stepTasks(tw *Twin, now time.Time) {
	for _, t := range c.tasks {
		if t.lastStatus == "STOPPED" || now.Before(t.next) {
			continue
		}
		switch {
		case t.desiredStatus == "STOPPED":
			t.lastStatus, t.stoppedAt = "STOPPED", now
			if g := tw.elb.groups[t.tg]; g != nil {
				delete(g.targets, t.ip)
			}
		case t.lastStatus == "PROVISIONING" && t.failing:
			t.lastStatus, t.desiredStatus, t.stoppedAt = "STOPPED", "STOPPED", now
			t.stopCode = "TaskFailedToStart"
			t.stoppedReason = "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref: not found"
		case t.lastStatus == "PROVISIONING":
			t.lastStatus, t.startedAt = "RUNNING", now
			t.next = now.Add(20 * time.Second)
			if g := tw.elb.groups[t.tg]; g != nil {
				g.targets[t.ip] = &elbTarget{id: t.ip, port: g.port, state: "initial", reason: "Elb.RegistrationInProgress"}
			}
			tw.writeStartLog(c, t)
		case t.lastStatus == "RUNNING" && t.health != "HEALTHY":
			t.health = "HEALTHY"
			if g := tw.elb.groups[t.tg]; g != nil {
				if target := g.targets[t.ip]; target != nil {
					target.state, target.reason = "healthy", ""
				}
			}
		}
	}
}

// writeStartLog writes the line the nginx image prints when it is ready,
// into the container's awslogs group, with the real time (CloudWatch Logs
// refuses events far in the future, and virtual time runs ahead).
func (tw *Twin) writeStartLog(c *containerService, t *ecsTask) {
	td := c.taskDefs[t.taskDef]
	if td == nil {
		return
	}
	for _, cd := range td.containers {
		if cd.logGroup == "" {
			continue
		}
		stream := cd.logPrefix + "/" + cd.name + "/" + t.id
		_ = tw.Moto.CallJSON("logs", "CreateLogStream", map[string]any{"logGroupName": cd.logGroup, "logStreamName": stream}, nil)
		_ = tw.Moto.CallJSON("logs", "PutLogEvents", map[string]any{"logGroupName": cd.logGroup, "logStreamName": stream,
			"logEvents": []any{map[string]any{"timestamp": time.Now().UnixMilli(), "message": "/docker-entrypoint.sh: Configuration complete; ready for start up"}}}, nil)
	}
}

func (c *containerService) step(tw *Twin, now time.Time, alarms map[string]string) {
	c.stepTasks(tw, now)
	arns := sortedKeys(c.services)
	for _, arn := range arns {
		svc := c.services[arn]
		for _, d := range svc.deployments {
			tw.stepDeployment(d, now, alarms)
		}
		c.keepCount(tw, svc, now)
	}
}

// keepCount replaces stopped tasks of the production revision and applies
// a desiredCount change that started no deployment (B49): tasks of the
// current revision, registered in the production group (inferred).
func (c *containerService) keepCount(tw *Twin, svc *ecsService, now time.Time) {
	if svc.current == nil || svc.status != "ACTIVE" {
		return
	}
	for _, d := range svc.deployments {
		if !d.terminal() {
			return
		}
	}
	var live []*ecsTask
	for _, t := range c.tasks {
		if t.service == svc.arn && t.revision == svc.current.id && t.desiredStatus == "RUNNING" {
			live = append(live, t)
		}
	}
	sort.Slice(live, func(i, j int) bool { return live[i].createdAt.Before(live[j].createdAt) })
	for len(live) < svc.desired {
		live = append(live, c.launch(tw, svc, svc.current, svc.prodTG, now))
	}
	for i := svc.desired; i < len(live); i++ {
		c.stopTask(tw, live[i], "Scaling activity initiated by (deployment ecs-svc)", now)
	}
}

func (c *containerService) watchedAlarms() []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range c.deployments {
		if d.terminal() {
			continue
		}
		for _, n := range d.alarmNames() {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

// newRevision snapshots the service's configuration (B1: a new revision
// for every deployment, none for a rollback).
func (c *containerService) newRevision(tw *Twin, svc *ecsService, now time.Time) *revision {
	id := tw.nextID(21)
	rev := &revision{id: id, arn: fmt.Sprintf("arn:aws:ecs:%s:%s:service-revision/%s/%s/%s", Region, Account, svc.cluster, svc.name, id),
		taskDef: svc.taskDef, config: deepCopy(svc.config).(map[string]any), lbs: svc.lbs, createdAt: now}
	svc.revisions = append(svc.revisions, rev)
	return rev
}

func deepCopy(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	if out == nil {
		return map[string]any{}
	}
	return out
}

// checkConfig is the call-time validation of B12.
func checkConfig(cfg map[string]any) *apiError {
	invalid := func(format string, args ...any) *apiError {
		return errorf(http.StatusBadRequest, "InvalidParameterException", format, args...)
	}
	strategy := str(cfg["strategy"])
	if cfg["linearConfiguration"] != nil && strategy != "LINEAR" {
		return invalid("Linear configuration can only be present with LINEAR deployment strategy")
	}
	if cfg["canaryConfiguration"] != nil && strategy != "CANARY" {
		return invalid("Canary configuration can only be present with CANARY deployment strategy")
	}
	if cc := asMap(cfg["canaryConfiguration"]); cc != nil {
		if p := floatOf(cc["canaryPercent"], 5); p < 0.1 || p > 100 {
			return invalid("canaryPercent must be between 0.1 and 100.0")
		}
	}
	if lc := asMap(cfg["linearConfiguration"]); lc != nil {
		if p := floatOf(lc["stepPercent"], 10); p < 3 || p > 100 {
			return invalid("stepPercent must be between 3.0 and 100.0")
		}
	}
	hooks := asList(cfg["lifecycleHooks"])
	if len(hooks) > 10 {
		return invalid("A service can have at most 10 Lambda lifecycle hooks")
	}
	for _, h := range hooks {
		m := asMap(h)
		// "You must provide this parameter when configuring an AWS_LAMBDA
		// lifecycle hook." (ECS API reference, DeploymentLifecycleHook)
		if str(m["hookTargetArn"]) == "" || str(m["roleArn"]) == "" {
			return invalid("A lifecycle hook needs hookTargetArn and roleArn")
		}
		for _, s := range asList(m["lifecycleStages"]) {
			switch str(s) {
			case "SCALE_UP", "BAKE_TIME", "CLEAN_UP":
				return invalid("Lifecycle hooks cannot be attached to %s", str(s))
			}
		}
	}
	return nil
}

// mergeConfig is UpdateService's merge of deploymentConfiguration (B34):
// absent members keep their live values; a member that is sent replaces
// that member as a unit, its own absent sub-fields taking API defaults;
// lifecycleHooks is replaced wholesale, [] clears it.
func mergeConfig(live, sent map[string]any) map[string]any {
	out := deepCopy(live).(map[string]any)
	for k, v := range sent {
		switch k {
		case "deploymentCircuitBreaker":
			m := asMap(v)
			// A circuit breaker without rollback sets rollback to false
			// (observed, third party: "a live rollback went true -> false").
			out[k] = map[string]any{"enable": boolOf(m["enable"]), "rollback": boolOf(m["rollback"])}
		case "canaryConfiguration":
			m := asMap(v)
			out[k] = map[string]any{"canaryPercent": floatOf(m["canaryPercent"], 5.0), "canaryBakeTimeInMinutes": intOf(m["canaryBakeTimeInMinutes"], 10)}
		case "linearConfiguration":
			m := asMap(v)
			out[k] = map[string]any{"stepPercent": floatOf(m["stepPercent"], 10.0), "stepBakeTimeInMinutes": intOf(m["stepBakeTimeInMinutes"], 6)}
		case "alarms":
			m := asMap(v)
			names := asList(m["alarmNames"])
			if names == nil {
				names = []any{}
			}
			out[k] = map[string]any{"alarmNames": names, "enable": boolOf(m["enable"]), "rollback": boolOf(m["rollback"])}
		default:
			out[k] = v
		}
	}
	if s := str(out["strategy"]); s != "CANARY" {
		if _, sentCanary := sent["canaryConfiguration"]; !sentCanary {
			delete(out, "canaryConfiguration")
		}
	}
	if s := str(out["strategy"]); s != "LINEAR" {
		if _, sentLinear := sent["linearConfiguration"]; !sentLinear {
			delete(out, "linearConfiguration")
		}
	}
	return out
}

// serviceUpdate is an UpdateService request, in the API's terms.
type serviceUpdate struct {
	taskDef  string
	desired  *int
	config   map[string]any // nil: not sent
	lbs      []map[string]any
	lbsSent  bool
	settings map[string]any
	force    bool
}

// triggers are the parameters whose change starts a deployment (B1: the
// API text of each says "This parameter triggers a new service
// deployment."); desiredCount, deploymentConfiguration,
// capacityProviderStrategy and enableExecuteCommand say "This parameter
// doesn't trigger a new service deployment." (ECS API reference,
// UpdateService).
var triggers = []string{"networkConfiguration", "platformVersion", "launchType"}

// sentSettings are the other top-level parameters of UpdateService that the
// twin keeps.
var sentSettings = append([]string{"capacityProviderStrategy", "enableExecuteCommand"}, triggers...)

// updateService applies an update and returns the deployment it started,
// or nil (B1, B34, B48, B49).
func (c *containerService) updateService(tw *Twin, svc *ecsService, u serviceUpdate, now time.Time) (*deployment, *apiError) {
	cfg := svc.config
	if u.config != nil {
		cfg = mergeConfig(svc.config, u.config)
		if aerr := checkConfig(cfg); aerr != nil {
			return nil, aerr
		}
	}
	// ECS changes a capacity provider strategy only with a forced
	// deployment; the message is UpdateService's InvalidParameterException
	// (aws-cdk #34631). A rollback of CloudFormation sends the previous
	// template's strategy without forcing one, unless that template
	// forced: the rollback of a placement change fails (review of issue
	// 18, item 4).
	if v, ok := u.settings["capacityProviderStrategy"]; ok && !u.force && canonical(v) != canonical(svc.settings["capacityProviderStrategy"]) {
		return nil, errorf(http.StatusBadRequest, "InvalidParameterException",
			"When switching from launch type to capacity provider strategy on an existing service, or making a change to a capacity provider strategy on a service that is already using one, you must force a new deployment.")
	}
	deploy := u.force
	if u.taskDef != "" && u.taskDef != svc.taskDef {
		if c.taskDefs[u.taskDef] == nil {
			return nil, errorf(http.StatusBadRequest, "ClientException", "TaskDefinition not found.")
		}
		deploy = true
	}
	if u.lbsSent && canonical(u.lbs) != canonical(svc.lbs) {
		deploy = true
	}
	for _, k := range triggers {
		if v, ok := u.settings[k]; ok && canonical(v) != canonical(svc.settings[k]) {
			deploy = true
		}
	}
	svc.config = cfg
	if u.taskDef != "" {
		svc.taskDef = u.taskDef
	}
	if u.lbsSent {
		svc.lbs = u.lbs
	}
	for k, v := range u.settings {
		svc.settings[k] = v
	}
	if u.desired != nil {
		svc.desired = *u.desired
	}
	if !deploy {
		return nil, nil
	}
	return c.startDeployment(tw, svc, now), nil
}

func (c *containerService) serviceByName(cluster, name string) *ecsService {
	if svc := c.services[name]; svc != nil {
		return svc
	}
	cl := cluster
	if i := strings.LastIndex(cl, "/"); i >= 0 {
		cl = cl[i+1:]
	}
	for _, svc := range c.services {
		if svc.name == name && (cl == "" || svc.cluster == cl) && svc.status == "ACTIVE" {
			return svc
		}
	}
	return nil
}

// ecsAPI answers the ECS operations the binary and the gate call.
func (tw *Twin) ecsAPI(op string, body []byte) (any, *apiError) {
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, errorf(http.StatusBadRequest, "SerializationException", "%v", err)
	}
	c := tw.ecs
	now := tw.Clock.Now()
	invalid := func(format string, args ...any) *apiError {
		return errorf(http.StatusBadRequest, "InvalidParameterException", format, args...)
	}
	switch op {
	case "DescribeServices":
		var services, failures []any
		for _, name := range asList(in["services"]) {
			svc := c.serviceByName(str(in["cluster"]), str(name))
			if svc == nil {
				failures = append(failures, map[string]any{"arn": str(name), "reason": "MISSING"})
				continue
			}
			services = append(services, tw.describeService(svc))
		}
		return map[string]any{"services": orEmpty(services), "failures": orEmpty(failures)}, nil
	case "ListServiceDeployments":
		svc := c.serviceByName(str(in["cluster"]), str(in["service"]))
		if svc == nil {
			return nil, errorf(http.StatusBadRequest, "ServiceNotFoundException", "Service not found.")
		}
		statuses := map[string]bool{}
		for _, s := range asList(in["status"]) {
			statuses[str(s)] = true
		}
		// "Include service deployments in the result that were created
		// after this time." and "... before this time." (ECS API
		// reference, CreatedAt)
		created := asMap(in["createdAt"])
		after, before := floatOf(created["after"], 0), floatOf(created["before"], 0)
		var list []*deployment
		for i := len(svc.deployments) - 1; i >= 0; i-- {
			d := svc.deployments[i]
			at := float64(d.createdAt.UnixMilli()) / 1000
			if (len(statuses) == 0 || statuses[d.status]) && (after == 0 || at > after) && (before == 0 || at < before) {
				list = append(list, d)
			}
		}
		// The order is not documented (B11): newest first, or under the
		// switch an order that is not by time, the same on every page.
		if tw.opts.Switches.ShuffledDeployments {
			sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
		}
		start, _ := strconv.Atoi(str(in["nextToken"]))
		size := intOf(in["maxResults"], 20)
		end := min(start+size, len(list))
		var briefs []any
		for _, d := range list[min(start, len(list)):end] {
			briefs = append(briefs, d.brief())
		}
		out := map[string]any{"serviceDeployments": orEmpty(briefs)}
		if end < len(list) {
			out["nextToken"] = strconv.Itoa(end)
		}
		return out, nil
	case "DescribeServiceDeployments":
		var list, failures []any
		for _, a := range asList(in["serviceDeploymentArns"]) {
			if d := c.deployments[str(a)]; d != nil {
				list = append(list, d.describe(tw))
			} else {
				failures = append(failures, map[string]any{"arn": str(a), "reason": "MISSING"})
			}
		}
		return map[string]any{"serviceDeployments": orEmpty(list), "failures": orEmpty(failures)}, nil
	case "DescribeServiceRevisions":
		var list []any
		for _, a := range asList(in["serviceRevisionArns"]) {
			for _, svc := range c.services {
				for _, rev := range svc.revisions {
					if rev.arn == str(a) {
						list = append(list, map[string]any{"serviceRevisionArn": rev.arn, "serviceArn": svc.arn, "taskDefinition": rev.taskDef, "createdAt": epoch(rev.createdAt)})
					}
				}
			}
		}
		return map[string]any{"serviceRevisions": orEmpty(list), "failures": []any{}}, nil
	case "StopServiceDeployment":
		d := c.deployments[str(in["serviceDeploymentArn"])]
		if d == nil {
			return nil, errorf(http.StatusBadRequest, "ServiceDeploymentNotFoundException", "Service deployment not found.")
		}
		if aerr := tw.stopDeployment(d, str(in["stopType"]), now); aerr != nil {
			return nil, aerr
		}
		return map[string]any{"serviceDeploymentArn": d.arn}, nil
	case "UpdateService":
		svc := c.serviceByName(str(in["cluster"]), str(in["service"]))
		if svc == nil {
			return nil, errorf(http.StatusBadRequest, "ServiceNotFoundException", "Service not found.")
		}
		u := serviceUpdate{taskDef: str(in["taskDefinition"]), force: boolOf(in["forceNewDeployment"]), settings: map[string]any{}}
		if v, ok := in["desiredCount"]; ok {
			n := intOf(v, 0)
			u.desired = &n
		}
		if v, ok := in["deploymentConfiguration"]; ok {
			u.config = asMap(v)
		}
		if v, ok := in["loadBalancers"]; ok {
			u.lbsSent = true
			for _, lb := range asList(v) {
				u.lbs = append(u.lbs, asMap(lb))
			}
		}
		for _, k := range sentSettings {
			if v, ok := in[k]; ok {
				u.settings[k] = v
			}
		}
		if _, aerr := c.updateService(tw, svc, u, now); aerr != nil {
			return nil, aerr
		}
		return map[string]any{"service": tw.describeService(svc)}, nil
	case "ListTasks":
		var arns []any
		svcArn := ""
		if name := str(in["serviceName"]); name != "" {
			svc := c.serviceByName(str(in["cluster"]), name)
			if svc == nil {
				return nil, errorf(http.StatusBadRequest, "ServiceNotFoundException", "Service not found.")
			}
			svcArn = svc.arn
		}
		want := str(in["desiredStatus"])
		if want == "" {
			want = "RUNNING"
		}
		var list []*ecsTask
		for _, t := range c.tasks {
			if (svcArn == "" || t.service == svcArn) && t.desiredStatus == want && (str(in["startedBy"]) == "" || "ecs-svc/"+t.revision == str(in["startedBy"])) {
				list = append(list, t)
			}
		}
		sort.Slice(list, func(i, j int) bool { return list[i].createdAt.After(list[j].createdAt) })
		for _, t := range list {
			arns = append(arns, t.arn)
		}
		return map[string]any{"taskArns": orEmpty(arns)}, nil
	case "DescribeTasks":
		var list, failures []any
		for _, a := range asList(in["tasks"]) {
			t := c.tasks[str(a)]
			if t == nil {
				for _, x := range c.tasks {
					if x.id == str(a) {
						t = x
					}
				}
			}
			if t == nil {
				failures = append(failures, map[string]any{"arn": str(a), "reason": "MISSING"})
				continue
			}
			list = append(list, tw.describeTask(t))
		}
		return map[string]any{"tasks": orEmpty(list), "failures": orEmpty(failures)}, nil
	case "DescribeTaskDefinition":
		name := str(in["taskDefinition"])
		td := c.taskDefs[name]
		if td == nil {
			family, rev, _ := strings.Cut(name, ":")
			for _, x := range c.taskDefs {
				if x.family == family && (rev == "" && x.revision == c.families[family] || strconv.Itoa(x.revision) == rev) {
					td = x
				}
			}
		}
		if td == nil {
			return nil, errorf(http.StatusBadRequest, "ClientException", "Unable to describe task definition.")
		}
		return map[string]any{"taskDefinition": describeTaskDef(td)}, nil
	case "DescribeClusters":
		var list []any
		for _, name := range asList(in["clusters"]) {
			cl := c.cluster(tw, str(name))
			list = append(list, map[string]any{"clusterArn": cl.arn, "clusterName": cl.name, "status": "ACTIVE"})
		}
		return map[string]any{"clusters": orEmpty(list), "failures": []any{}}, nil
	case "ListServices":
		var arns []any
		cl := str(in["cluster"])
		for _, arn := range sortedKeys(c.services) {
			svc := c.services[arn]
			if svc.status == "ACTIVE" && (cl == "" || strings.HasSuffix(cl, "/"+svc.cluster) || cl == svc.cluster) {
				arns = append(arns, arn)
			}
		}
		return map[string]any{"serviceArns": orEmpty(arns)}, nil
	}
	return nil, invalid("the twin does not model ECS %s", op)
}

func orEmpty(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

func describeTaskDef(td *taskDef) map[string]any {
	var containers []any
	for _, cd := range asList(td.props["ContainerDefinitions"]) {
		containers = append(containers, camel(cd))
	}
	out := map[string]any{"taskDefinitionArn": td.arn, "family": td.family, "revision": td.revision, "status": td.status,
		"containerDefinitions": orEmpty(containers), "cpu": str(td.props["Cpu"]), "memory": str(td.props["Memory"]),
		"networkMode": str(td.props["NetworkMode"]), "requiresCompatibilities": camel(td.props["RequiresCompatibilities"])}
	if v := str(td.props["ExecutionRoleArn"]); v != "" {
		out["executionRoleArn"] = v
	}
	if v := str(td.props["TaskRoleArn"]); v != "" {
		out["taskRoleArn"] = v
	}
	return out
}

func (tw *Twin) describeTask(t *ecsTask) map[string]any {
	c := tw.ecs
	var containers []any
	if td := c.taskDefs[t.taskDef]; td != nil {
		for _, cd := range td.containers {
			ct := map[string]any{"name": cd.name, "image": cd.image, "lastStatus": t.lastStatus,
				"containerArn": t.arn + "/" + cd.name, "taskArn": t.arn}
			if t.stopCode == "TaskFailedToStart" {
				ct["reason"] = t.stoppedReason
			}
			containers = append(containers, ct)
		}
	}
	out := map[string]any{"taskArn": t.arn, "clusterArn": fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", Region, Account, t.cluster),
		"taskDefinitionArn": t.taskDef, "lastStatus": t.lastStatus, "desiredStatus": t.desiredStatus, "healthStatus": t.health,
		"group": "service:" + t.service[strings.LastIndex(t.service, "/")+1:], "startedBy": "ecs-svc/" + t.revision,
		"createdAt": epoch(t.createdAt), "availabilityZone": t.az, "launchType": "FARGATE", "containers": orEmpty(containers),
		"attachments": []any{map[string]any{"type": "ElasticNetworkInterface", "status": "ATTACHED",
			"details": []any{map[string]any{"name": "privateIPv4Address", "value": t.ip}}}}}
	if !t.startedAt.IsZero() {
		out["startedAt"] = epoch(t.startedAt)
	}
	if !t.stoppedAt.IsZero() {
		out["stoppedAt"] = epoch(t.stoppedAt)
	}
	if t.stoppedReason != "" {
		out["stoppedReason"] = t.stoppedReason
		out["stopCode"] = t.stopCode
	}
	return out
}

func (tw *Twin) describeService(svc *ecsService) map[string]any {
	c := tw.ecs
	running, pending := 0, 0
	for _, t := range c.tasks {
		if t.service == svc.arn && t.desiredStatus == "RUNNING" {
			if t.lastStatus == "RUNNING" {
				running++
			} else {
				pending++
			}
		}
	}
	var lbs []any
	for _, lb := range svc.lbs {
		lbs = append(lbs, lb)
	}
	var legacy []any
	for i := len(svc.deployments) - 1; i >= 0 && len(legacy) < 2; i-- {
		d := svc.deployments[i]
		status := "ACTIVE"
		if len(legacy) == 0 {
			status = "PRIMARY"
		}
		rollout := "IN_PROGRESS"
		switch d.status {
		case "SUCCESSFUL":
			rollout = "COMPLETED"
		case "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED", "STOPPED":
			rollout = "FAILED"
		}
		legacy = append(legacy, map[string]any{"id": "ecs-svc/" + d.target.id, "status": status, "taskDefinition": d.target.taskDef,
			"desiredCount": svc.desired, "runningCount": running, "pendingCount": pending, "rolloutState": rollout,
			"rolloutStateReason": d.statusReason, "createdAt": epoch(d.createdAt), "updatedAt": epoch(d.createdAt)})
	}
	out := map[string]any{"serviceArn": svc.arn, "serviceName": svc.name, "clusterArn": fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", Region, Account, svc.cluster),
		"status": svc.status, "desiredCount": svc.desired, "runningCount": running, "pendingCount": pending, "taskDefinition": svc.taskDef,
		"deploymentConfiguration": svc.config, "loadBalancers": orEmpty(lbs), "deployments": orEmpty(legacy),
		"deploymentController": map[string]any{"type": "ECS"}, "createdAt": epoch(svc.createdAt), "events": []any{}}
	for k, v := range svc.settings {
		out[k] = v
	}
	if len(svc.deployments) > 0 {
		out["currentServiceDeployment"] = svc.deployments[len(svc.deployments)-1].arn
	}
	return out
}

// URL-safe query helper for tests.
var _ = url.Values{}
