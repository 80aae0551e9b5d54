package deploy

// A SIMULATION of the ECS, CloudWatch Logs and Elastic Load Balancing v2
// reads the ECS watcher makes, served by the same httptest server as the
// CloudFormation simulation (simulator_test.go). It implements only what
// package watch calls: DescribeServices, ListTasks, DescribeTasks (ECS, JSON
// 1.1), GetLogEvents (Logs, JSON 1.1) and DescribeTargetHealth (ELBv2,
// Query). The wire formats are the real ones, so the real SDK clients, with
// the package's retryer, talk to it; what the service does is scripted on
// the real clock, relative to ExecuteChangeSet: tasks appear stopped, the
// rollout changes, targets turn unhealthy, each at the time a test says.

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

const (
	elbVersion   = "2015-12-01"
	elbNamespace = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
	simAccount   = "123456789012"
)

// simECS is the script of one service.
type simECS struct {
	cluster, service, serviceARN string
	targetGroupARN, logGroup     string
	// deployment is the ID of the deployment the deploy starts; ECS stamps
	// it as startedBy on its tasks.
	deployment string
	// oldDeployment is the one before, with its own stopped tasks.
	oldDeployment string
	started       time.Time // ExecuteChangeSet; zero before

	rollouts []simRollout
	events   []simServiceEvent
	tasks    []simTask
	targets  []simTarget
	logs     map[string][]string // stream -> lines
	// throttle answers each listed action (ecs:ListTasks, ...) with
	// ThrottlingException this many times in a row, from the start.
	throttle map[string]int
	// deny answers each listed action with AccessDeniedException.
	deny map[string]bool
}

type simRollout struct {
	after                            time.Duration
	state, reason                    string
	desired, running, pending, fails int
}

type simServiceEvent struct {
	after   time.Duration
	message string
}

type simTask struct {
	after        time.Duration // when it shows as stopped
	id           string
	startedBy    string // "" means the new deployment
	stopCode     string
	reason       string
	exit         *int
	contReason   string
	ranFor       time.Duration
	stillStopped bool // lastStatus DEPROVISIONING first, then STOPPED
}

type simTarget struct {
	after               time.Duration
	id                  string
	port                int
	state, reason, desc string
}

func intp(n int) *int { return &n }

// newSimECS scripts a service "web" in cluster "demo-cluster" with a target
// group and a log group, and makes ListStackResources name them.
func (s *simulator) newSimECS() *simECS {
	e := &simECS{
		cluster: "demo-cluster", service: "web",
		serviceARN:     "arn:aws:ecs:us-east-1:" + simAccount + ":service/demo-cluster/web",
		targetGroupARN: "arn:aws:elasticloadbalancing:us-east-1:" + simAccount + ":targetgroup/demo-tg/0123456789abcdef",
		logGroup:       "/ecs/demo",
		deployment:     "ecs-svc/1111111111111111111",
		oldDeployment:  "ecs-svc/0000000000000000000",
		logs:           map[string][]string{},
		throttle:       map[string]int{},
		deny:           map[string]bool{},
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ecs = e
	s.stackResources = []simStackResource{
		{"Cluster", "AWS::ECS::Cluster", e.cluster, "CREATE_COMPLETE"},
		{"Service", "AWS::ECS::Service", e.serviceARN, "CREATE_IN_PROGRESS"},
		{"TargetGroup", "AWS::ElasticLoadBalancingV2::TargetGroup", e.targetGroupARN, "CREATE_COMPLETE"},
		{"LogGroup", "AWS::Logs::LogGroup", e.logGroup, "CREATE_COMPLETE"},
	}
	return e
}

func (e *simECS) begin(now time.Time) { e.started = now }

// visible reports whether a scripted item is due by now.
func (e *simECS) visible(after time.Duration, now time.Time) bool {
	return !e.started.IsZero() && !now.Before(e.started.Add(after))
}

// ECS and Logs: JSON 1.1.

func (s *simulator) serveJSON(w http.ResponseWriter, r *http.Request, target string) {
	body, _ := io.ReadAll(r.Body)
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		s.jsonError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	service, op, _ := strings.Cut(target, ".")
	prefix := "ecs:"
	if strings.HasPrefix(service, "Logs_") {
		prefix = "logs:"
	}
	action := prefix + op
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	s.calls = append(s.calls, simCall{Action: action, Form: url.Values{"body": {string(body)}}, At: now})
	e := s.ecs
	switch {
	case e == nil:
		s.jsonError(w, http.StatusBadRequest, "ClusterNotFoundException", "Cluster not found.")
		return
	case e.deny[action]:
		s.jsonError(w, http.StatusBadRequest, "AccessDeniedException",
			fmt.Sprintf("User: arn:aws:iam::%s:user/deployer is not authorized to perform: %s", simAccount, action))
		return
	case e.throttle[action] > 0:
		e.throttle[action]--
		s.jsonError(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
		return
	}
	switch action {
	case "ecs:DescribeServices":
		s.describeServices(w, e, now)
	case "ecs:ListTasks":
		s.listTasks(w, e, in, now)
	case "ecs:DescribeTasks":
		s.describeTasks(w, e, in, now)
	case "logs:GetLogEvents":
		s.getLogEvents(w, e, in)
	default:
		s.jsonError(w, http.StatusBadRequest, "UnknownOperationException", "the simulator does not implement "+action)
	}
}

func (s *simulator) jsonReply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", s.nextID("req"))
	if err := json.NewEncoder(w).Encode(v); err != nil {
		s.t.Errorf("encode: %v", err)
	}
}

func (s *simulator) jsonError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", s.nextID("req"))
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": message})
}

// epoch is a timestamp as the JSON protocols send it: seconds since 1970.
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func (s *simulator) describeServices(w http.ResponseWriter, e *simECS, now time.Time) {
	deployments := []map[string]any{}
	if !e.started.IsZero() {
		d := map[string]any{"id": e.deployment, "status": "PRIMARY", "rolloutState": "IN_PROGRESS",
			"desiredCount": 2, "runningCount": 0, "pendingCount": 0, "failedTasks": 0,
			"createdAt": epoch(e.started), "taskDefinition": "arn:aws:ecs:us-east-1:" + simAccount + ":task-definition/demo:2"}
		for _, r := range e.rollouts {
			if e.visible(r.after, now) {
				d["rolloutState"], d["desiredCount"], d["runningCount"], d["pendingCount"], d["failedTasks"] = r.state, r.desired, r.running, r.pending, r.fails
				if r.reason != "" {
					d["rolloutStateReason"] = r.reason
				}
			}
		}
		deployments = append(deployments, d)
	}
	deployments = append(deployments, map[string]any{"id": e.oldDeployment, "status": "ACTIVE", "rolloutState": "COMPLETED",
		"desiredCount": 2, "runningCount": 2, "pendingCount": 0, "failedTasks": 0,
		"createdAt": epoch(now.Add(-24 * time.Hour)), "taskDefinition": "arn:aws:ecs:us-east-1:" + simAccount + ":task-definition/demo:1"})
	// Events newest first, as ECS lists them.
	events := []map[string]any{{"id": "old-event", "createdAt": epoch(now.Add(-2 * time.Hour)), "message": "(service web) has reached a steady state."}}
	for i, ev := range e.events {
		if e.visible(ev.after, now) {
			events = append([]map[string]any{{"id": fmt.Sprintf("event-%d", i), "createdAt": epoch(e.started.Add(ev.after)), "message": ev.message}}, events...)
		}
	}
	s.jsonReply(w, map[string]any{"services": []map[string]any{{
		"serviceArn": e.serviceARN, "serviceName": e.service, "clusterArn": "arn:aws:ecs:us-east-1:" + simAccount + ":cluster/" + e.cluster,
		"status": "ACTIVE", "deployments": deployments, "events": events,
	}}, "failures": []any{}})
}

func (e *simECS) taskARN(id string) string {
	return "arn:aws:ecs:us-east-1:" + simAccount + ":task/" + e.cluster + "/" + id
}

func (s *simulator) listTasks(w http.ResponseWriter, e *simECS, in map[string]any, now time.Time) {
	// ECS rejects startedBy together with other filters (ECS API
	// reference, ListTasks); the watcher must not send it.
	if _, ok := in["startedBy"]; ok && (in["serviceName"] != nil || in["desiredStatus"] != nil) {
		s.jsonError(w, http.StatusBadRequest, "InvalidParameterException", "startedBy must be the only filter")
		return
	}
	if in["desiredStatus"] != "STOPPED" || in["serviceName"] != e.service {
		s.jsonReply(w, map[string]any{"taskArns": []string{}})
		return
	}
	arns := []string{e.taskARN("old0000000000000000000000000000a")} // the old deployment's, stopped an hour ago
	for _, t := range e.tasks {
		if e.visible(t.after, now) {
			arns = append(arns, e.taskARN(t.id))
		}
	}
	s.jsonReply(w, map[string]any{"taskArns": arns})
}

func (s *simulator) describeTasks(w http.ResponseWriter, e *simECS, in map[string]any, now time.Time) {
	var tasks []map[string]any
	list, _ := in["tasks"].([]any)
	for _, a := range list {
		arn, _ := a.(string)
		if strings.HasSuffix(arn, "/old0000000000000000000000000000a") {
			tasks = append(tasks, map[string]any{"taskArn": arn, "startedBy": e.oldDeployment, "lastStatus": "STOPPED",
				"desiredStatus": "STOPPED", "stopCode": "EssentialContainerExited", "stoppedReason": "Essential container in task exited",
				"startedAt": epoch(now.Add(-70 * time.Minute)), "stoppedAt": epoch(now.Add(-time.Hour)),
				"containers": []map[string]any{{"name": "app", "exitCode": 1, "lastStatus": "STOPPED"}}})
			continue
		}
		for _, t := range e.tasks {
			if e.taskARN(t.id) != arn || !e.visible(t.after, now) {
				continue
			}
			startedBy := t.startedBy
			if startedBy == "" {
				startedBy = e.deployment
			}
			stoppedAt := e.started.Add(t.after)
			last := "STOPPED"
			if t.stillStopped && !e.visible(t.after+30*time.Millisecond, now) {
				last = "DEPROVISIONING"
			}
			container := map[string]any{"name": "app", "lastStatus": "STOPPED"}
			if t.exit != nil {
				container["exitCode"] = *t.exit
			}
			if t.contReason != "" {
				container["reason"] = t.contReason
			}
			task := map[string]any{"taskArn": arn, "startedBy": startedBy, "lastStatus": last, "desiredStatus": "STOPPED",
				"stopCode": t.stopCode, "stoppedReason": t.reason, "stoppedAt": epoch(stoppedAt),
				"containers": []map[string]any{container},
				"attachments": []map[string]any{{"type": "ElasticNetworkInterface", "details": []map[string]any{
					{"name": "privateIPv4Address", "value": "10.0.3.14"}}}}}
			if t.exit != nil {
				task["startedAt"] = epoch(stoppedAt.Add(-t.ranFor))
			}
			tasks = append(tasks, task)
		}
	}
	s.jsonReply(w, map[string]any{"tasks": tasks, "failures": []any{}})
}

func (s *simulator) getLogEvents(w http.ResponseWriter, e *simECS, in map[string]any) {
	group, _ := in["logGroupName"].(string)
	stream, _ := in["logStreamName"].(string)
	lines, ok := e.logs[stream]
	if group != e.logGroup || !ok {
		s.jsonError(w, http.StatusBadRequest, "ResourceNotFoundException", "The specified log stream does not exist.")
		return
	}
	limit := 10000
	if l, ok := in["limit"].(float64); ok {
		limit = int(l)
	}
	if len(lines) > limit {
		lines = lines[len(lines)-limit:]
	}
	var events []map[string]any
	for i, l := range lines {
		ms := e.started.Add(time.Duration(i) * time.Millisecond).UnixMilli()
		events = append(events, map[string]any{"timestamp": ms, "ingestionTime": ms, "message": l})
	}
	s.jsonReply(w, map[string]any{"events": events, "nextForwardToken": "f/1", "nextBackwardToken": "b/1"})
}

// ELBv2: Query.

func (s *simulator) serveELB(w http.ResponseWriter, action string, f url.Values) {
	e := s.ecs
	act := "elasticloadbalancing:" + action
	switch {
	case e == nil:
		s.failNS(w, elbNamespace, http.StatusBadRequest, "TargetGroupNotFound", "One or more target groups not found")
		return
	case e.deny[act]:
		s.failNS(w, elbNamespace, http.StatusForbidden, "AccessDenied",
			fmt.Sprintf("User: arn:aws:iam::%s:user/deployer is not authorized to perform: %s", simAccount, act))
		return
	case e.throttle[act] > 0:
		e.throttle[act]--
		s.failNS(w, elbNamespace, http.StatusBadRequest, "Throttling", "Rate exceeded")
		return
	case action != "DescribeTargetHealth":
		s.failNS(w, elbNamespace, http.StatusBadRequest, "InvalidAction", "the simulator does not implement "+action)
		return
	case f.Get("TargetGroupArn") != e.targetGroupARN:
		s.failNS(w, elbNamespace, http.StatusBadRequest, "TargetGroupNotFound", "One or more target groups not found")
		return
	}
	type target struct {
		Id   string
		Port int
	}
	type health struct {
		State       string
		Reason      string `xml:",omitempty"`
		Description string `xml:",omitempty"`
	}
	type description struct {
		Target          target
		HealthCheckPort string
		TargetHealth    health
	}
	// The old deployment's target stays healthy throughout.
	current := map[string]description{"10.0.1.10": {target{"10.0.1.10", 8080}, "8080", health{State: "healthy"}}}
	order := []string{"10.0.1.10"}
	now := time.Now()
	for _, t := range e.targets {
		if !e.visible(t.after, now) {
			continue
		}
		if _, ok := current[t.id]; !ok {
			order = append(order, t.id)
		}
		current[t.id] = description{target{t.id, t.port}, fmt.Sprint(t.port), health{t.state, t.reason, t.desc}}
	}
	var out []description
	for _, id := range order {
		out = append(out, current[id])
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<DescribeTargetHealthResponse xmlns="%s">`, elbNamespace)
	if err := xml.NewEncoder(&buf).EncodeElement(struct {
		Descriptions []description `xml:"TargetHealthDescriptions>member"`
	}{out}, xml.StartElement{Name: xml.Name{Local: "DescribeTargetHealthResult"}}); err != nil {
		s.t.Errorf("encode: %v", err)
	}
	fmt.Fprintf(&buf, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></DescribeTargetHealthResponse>`, s.nextID("req"))
	w.Header().Set("Content-Type", "text/xml")
	w.Write(buf.Bytes())
}

func (s *simulator) failNS(w http.ResponseWriter, ns string, status int, code, message string) {
	kind := "Sender"
	if status >= 500 {
		kind = "Receiver"
	}
	var msg bytes.Buffer
	xml.EscapeText(&msg, []byte(message))
	id := s.nextID("req")
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", id)
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		ns, kind, code, msg.String(), id)
}

// Clients of the watched services, pointed at the simulator, with the
// package's retryer and a short backoff.

func (s *simulator) retryer() func() aws.Retryer {
	return func() aws.Retryer {
		return newRetryer(retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 2 * time.Millisecond, nil }))
	}
}

func (s *simulator) ecsClient() *ecs.Client {
	return ecs.New(ecs.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSIMULATOR", "secret", ""), Retryer: s.retryer()()})
}

func (s *simulator) logsClient() *cloudwatchlogs.Client {
	return cloudwatchlogs.New(cloudwatchlogs.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSIMULATOR", "secret", ""), Retryer: s.retryer()()})
}

func (s *simulator) elbClient() *elbv2.Client {
	return elbv2.New(elbv2.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSIMULATOR", "secret", ""), Retryer: s.retryer()()})
}
