package watch

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"
)

// ECSAPI is the part of the ECS API the Watcher reads.
type ECSAPI interface {
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
}

// ELBAPI is the part of the Elastic Load Balancing v2 API the Watcher reads.
type ELBAPI interface {
	DescribeTargetHealth(context.Context, *elbv2.DescribeTargetHealthInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error)
}

// LogsAPI is the part of the CloudWatch Logs API the Watcher reads.
type LogsAPI interface {
	GetLogEvents(context.Context, *cloudwatchlogs.GetLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
}

var (
	_ ECSAPI  = (*ecs.Client)(nil)
	_ ELBAPI  = (*elbv2.Client)(nil)
	_ LogsAPI = (*cloudwatchlogs.Client)(nil)
)

// Target is the service to watch, with the physical IDs the stack's
// resources name.
type Target struct {
	Cluster string
	Service string // name or ARN
	// TargetGroupARNs are the service's target groups; none skips target
	// health.
	TargetGroupARNs []string
	// LogGroup and LogStreamPrefix locate a container's awslogs stream,
	// PREFIX/CONTAINER/TASK-ID; either empty skips the log lines.
	LogGroup        string
	LogStreamPrefix string
	// Since is when the deploy started. A deployment created before it,
	// and a task that stopped before it, belong to an earlier deploy and
	// are not blamed on this one.
	Since time.Time
}

const (
	// DefaultInterval is the time between the starts of two rounds.
	DefaultInterval = 2 * time.Second
	// MaxLogLines is how many of a stopped container's last lines are read.
	MaxLogLines = 20
	// callTimeout bounds one call with the SDK's retries.
	callTimeout = 20 * time.Second
	// clockSlack allows for the difference between the local clock, which
	// sets Target.Since, and AWS's, which stamps deployments and tasks.
	clockSlack = 30 * time.Second
	maxBackoff = 30 * time.Second
)

// Watcher follows one ECS service. Run it in a goroutine of its own; emit
// is called from that goroutine. The zero Interval means DefaultInterval,
// and a nil Limiter one of DefaultRate and DefaultBurst. ELB and Logs may be
// nil, which skips target health and log lines.
type Watcher struct {
	ECS      ECSAPI
	ELB      ELBAPI
	Logs     LogsAPI
	Target   Target
	Interval time.Duration
	Limiter  *Limiter

	deployment string // the ID of this deploy's deployment, once found
	rollout    Rollout
	seenEvents map[string]bool
	seenTasks  map[string]bool
	targets    map[string]string
	denied     map[string]bool
	counts     map[string]int
	// logsByExit are the log lines read for the first task that exited
	// with each code; later tasks with that code reuse them to classify,
	// rather than spend a call each on what is most likely the same.
	logsByExit map[int][]string
	order      []string // cause keys in the order first seen
	causes     map[string]TaskStopped
	causeLines map[string][]string // the latest log lines read for each cause key
	stopped    int
	lastTarget *Cause
	round      int
	// failures counts the rounds in a row in which a call failed in a way
	// worth trying again (roundFailed, for the current round).
	failures    int
	roundFailed bool
}

// Run polls until ctx ends, calling emit with each new fact. Calls that
// fail for good are reported once as Denied facts; rounds whose calls were
// throttled or failed on the server's side are followed by a longer pause,
// doubling with each such round in a row, with jitter.
func (w *Watcher) Run(ctx context.Context, emit func(Fact)) {
	if w.Limiter == nil {
		w.Limiter = NewLimiter(DefaultRate, DefaultBurst)
	}
	interval := w.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	for ctx.Err() == nil {
		start := time.Now()
		w.Poll(ctx, emit)
		delay := interval - time.Since(start)
		if w.failures > 0 {
			// Throttled or failing: back off, doubling up to maxBackoff,
			// with jitter so that clients throttled together do not come
			// back together.
			base := min(interval<<min(w.failures, 5), maxBackoff)
			delay = base/2 + rand.N(base/2+1)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Poll runs one round: the stopped tasks every round, the rollout and
// service events every fourth round (and until the deployment is known),
// and target health every fourth round too, between those. At the default
// interval that is 0.75 calls per second while nothing fails, which leaves
// a quarter of DefaultRate for a DescribeTasks per batch of stopped tasks
// and the log reads of exit codes not seen before.
func (w *Watcher) Poll(ctx context.Context, emit func(Fact)) {
	w.init()
	if w.Limiter == nil {
		w.Limiter = NewLimiter(DefaultRate, DefaultBurst)
	}
	w.roundFailed = false
	// The stopped tasks, where causes show first, every round; the
	// rollout and the targets, which change slowly, every fourth round
	// each, and on demand (a task that failed its ELB health checks reads
	// the targets at once).
	if w.round%4 == 0 || w.deployment == "" {
		w.describeService(ctx, emit)
	}
	if w.deployment != "" {
		w.stoppedTasks(ctx, emit)
	}
	if w.round%4 == 2 {
		w.targetHealth(ctx, emit)
	}
	w.round++
	if w.roundFailed {
		w.failures++
	} else {
		w.failures = 0
	}
}

// Final runs a last round once the service has settled, so that the
// verdict has the rollout's end and the tasks that stopped last: the
// rollout and the stopped tasks, within the budget. Call it after Run has
// returned, from the goroutine that reads Verdict.
func (w *Watcher) Final(ctx context.Context, emit func(Fact)) {
	w.init()
	if w.Limiter == nil {
		w.Limiter = NewLimiter(DefaultRate, DefaultBurst)
	}
	w.describeService(ctx, emit)
	if w.deployment != "" {
		w.stoppedTasks(ctx, emit)
	}
}

func (w *Watcher) init() {
	if w.seenEvents != nil {
		return
	}
	w.seenEvents, w.seenTasks, w.targets = map[string]bool{}, map[string]bool{}, map[string]string{}
	w.denied, w.counts, w.causes = map[string]bool{}, map[string]int{}, map[string]TaskStopped{}
	w.logsByExit, w.causeLines = map[int][]string{}, map[string][]string{}
}

// call runs one API call within the budget. It reports false when the call
// failed; a failure that will not go away (AccessDenied, a bad request) is
// reported once as a Denied fact and the action is not tried again.
func (w *Watcher) call(ctx context.Context, action string, emit func(Fact), f func(context.Context) error) bool {
	if w.denied[action] || ctx.Err() != nil {
		return false
	}
	if err := w.Limiter.Wait(ctx); err != nil {
		return false
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	err := f(cctx)
	switch {
	case err == nil:
		return true
	case ctx.Err() != nil:
		return false
	case Transient(err):
		w.roundFailed = true
		return false
	}
	w.denied[action] = true
	emit(Denied{Time: time.Now(), Action: action, Message: brief(err)})
	return false
}

func (w *Watcher) describeService(ctx context.Context, emit func(Fact)) {
	var out *ecs.DescribeServicesOutput
	ok := w.call(ctx, "ecs:DescribeServices", emit, func(ctx context.Context) (err error) {
		out, err = w.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{
			Cluster: aws.String(w.Target.Cluster), Services: []string{w.Target.Service},
		})
		return err
	})
	if !ok || len(out.Services) == 0 {
		return
	}
	svc := out.Services[0]
	if w.deployment == "" {
		for _, d := range svc.Deployments {
			// ECS lists the deployment it is rolling out as PRIMARY
			// (ECS API reference, Deployment.status).
			if aws.ToString(d.Status) == "PRIMARY" && !aws.ToTime(d.CreatedAt).Before(w.Target.Since.Add(-clockSlack)) {
				w.deployment = aws.ToString(d.Id)
			}
		}
	}
	for _, d := range svc.Deployments {
		if aws.ToString(d.Id) != w.deployment || w.deployment == "" {
			continue
		}
		r := Rollout{
			Deployment: w.deployment, Status: aws.ToString(d.Status), State: string(d.RolloutState),
			Reason: aws.ToString(d.RolloutStateReason), TaskDefinition: aws.ToString(d.TaskDefinition),
			Desired: int(d.DesiredCount), Running: int(d.RunningCount), Pending: int(d.PendingCount), Failed: int(d.FailedTasks),
		}
		if r != w.rollout.withoutTime() {
			w.rollout = r
			r.Time = time.Now()
			emit(r)
		}
	}
	// Events come newest first; the new ones are reported oldest first.
	var fresh []ServiceMessage
	for _, e := range svc.Events {
		id := aws.ToString(e.Id)
		created := aws.ToTime(e.CreatedAt)
		if w.seenEvents[id] || created.Before(w.Target.Since.Add(-clockSlack)) {
			break
		}
		w.seenEvents[id] = true
		fresh = append(fresh, ServiceMessage{Time: time.Now(), Created: created, ID: id, Message: aws.ToString(e.Message)})
	}
	for i := len(fresh) - 1; i >= 0; i-- {
		emit(fresh[i])
	}
}

func (r Rollout) withoutTime() Rollout { r.Time = time.Time{}; return r }

func (w *Watcher) stoppedTasks(ctx context.Context, emit func(Fact)) {
	var arns []string
	ok := w.call(ctx, "ecs:ListTasks", emit, func(ctx context.Context) error {
		// startedBy "must be the only filter" of a ListTasks call (ECS API
		// reference, ListTasks), so the service's stopped tasks are listed
		// and those of other deployments dropped after DescribeTasks.
		// Stopped tasks stay listed for at least an hour.
		out, err := w.ECS.ListTasks(ctx, &ecs.ListTasksInput{
			Cluster: aws.String(w.Target.Cluster), ServiceName: aws.String(serviceName(w.Target.Service)),
			DesiredStatus: ecstypes.DesiredStatusStopped, MaxResults: aws.Int32(100),
		})
		if err == nil {
			arns = out.TaskArns
		}
		return err
	})
	if !ok {
		return
	}
	var fresh []string
	for _, a := range arns {
		if !w.seenTasks[a] {
			fresh = append(fresh, a)
		}
	}
	if len(fresh) == 0 {
		return
	}
	var tasks []ecstypes.Task
	ok = w.call(ctx, "ecs:DescribeTasks", emit, func(ctx context.Context) error {
		// At most 100 tasks per call (ECS API reference, DescribeTasks),
		// which is what one ListTasks page holds.
		out, err := w.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(w.Target.Cluster), Tasks: fresh})
		if err == nil {
			tasks = out.Tasks
		}
		return err
	})
	if !ok {
		return
	}
	sort.SliceStable(tasks, func(i, j int) bool { return aws.ToTime(tasks[i].StoppedAt).Before(aws.ToTime(tasks[j].StoppedAt)) })
	for _, t := range tasks {
		arn := aws.ToString(t.TaskArn)
		// A task whose desired status is STOPPED may still be stopping,
		// without its exit codes yet; it is read again next round.
		if aws.ToString(t.LastStatus) != "STOPPED" {
			continue
		}
		w.seenTasks[arn] = true
		if aws.ToString(t.StartedBy) != w.deployment || aws.ToTime(t.StoppedAt).Before(w.Target.Since.Add(-clockSlack)) {
			continue // an earlier deployment's
		}
		task := toTask(t)
		cause := w.classify(ctx, emit, &task)
		if cause.Kind == ELBHealthCheck && w.lastTarget == nil {
			// The targets say why the checks failed; read them now
			// rather than at the next round.
			w.targetHealth(ctx, emit)
		}
		if cause.Kind == ELBHealthCheck && w.lastTarget != nil {
			refined := *w.lastTarget
			refined.Evidence = refined.Evidence + "; " + task.StoppedReason
			cause = refined
		}
		w.stopped++
		key := cause.Key()
		if w.counts[key] == 0 {
			w.order = append(w.order, key)
		}
		w.counts[key]++
		f := TaskStopped{Time: time.Now(), Task: task, Cause: cause, Count: w.counts[key]}
		w.causes[key] = f
		var lines []string
		for _, c := range task.Containers {
			lines = append(lines, c.LogLines...)
		}
		if len(lines) > 0 {
			w.causeLines[key] = lines
		}
		emit(f)
	}
}

// classify reads the log lines of a task whose exit code is new, and
// classifies it, with the lines read for an earlier task with the same
// exit code when its own were not read.
func (w *Watcher) classify(ctx context.Context, emit func(Fact), t *Task) Cause {
	code := exitCode(*t)
	if code == nil {
		return Classify(*t)
	}
	if lines, ok := w.logsByExit[*code]; ok {
		c := *t
		c.Containers = append([]Container(nil), t.Containers...)
		if len(c.Containers) > 0 && len(c.Containers[0].LogLines) == 0 {
			c.Containers[0].LogLines = lines
		}
		return Classify(c)
	}
	w.readLogs(ctx, emit, t)
	var lines []string
	for _, c := range t.Containers {
		lines = append(lines, c.LogLines...)
	}
	w.logsByExit[*code] = lines
	return Classify(*t)
}

// readLogs reads the last lines of each container of t that exited, from
// its awslogs stream: PREFIX/CONTAINER/TASK-ID (ECS developer guide, "Send
// Amazon ECS logs to CloudWatch", awslogs-stream-prefix).
func (w *Watcher) readLogs(ctx context.Context, emit func(Fact), t *Task) {
	if w.Logs == nil || w.Target.LogGroup == "" || w.Target.LogStreamPrefix == "" {
		return
	}
	for i := range t.Containers {
		c := &t.Containers[i]
		if c.ExitCode == nil {
			continue // it never ran: there is nothing in its stream
		}
		stream := w.Target.LogStreamPrefix + "/" + c.Name + "/" + t.ID
		c.LogStream = stream
		w.call(ctx, "logs:GetLogEvents", emit, func(ctx context.Context) error {
			// StartFromHead false returns the latest events, oldest first
			// (CloudWatch Logs API reference, GetLogEvents).
			out, err := w.Logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
				LogGroupName: aws.String(w.Target.LogGroup), LogStreamName: aws.String(stream),
				Limit: aws.Int32(MaxLogLines), StartFromHead: aws.Bool(false),
			})
			if err != nil {
				var apiErr smithy.APIError
				if errors.As(err, &apiErr) && apiErr.ErrorCode() == "ResourceNotFoundException" {
					return nil // the container wrote nothing
				}
				return err
			}
			for _, e := range out.Events {
				c.LogLines = append(c.LogLines, strings.TrimRight(aws.ToString(e.Message), "\n"))
			}
			if len(c.LogLines) > MaxLogLines {
				c.LogLines = c.LogLines[len(c.LogLines)-MaxLogLines:]
			}
			return nil
		})
	}
}

func (w *Watcher) targetHealth(ctx context.Context, emit func(Fact)) {
	if w.ELB == nil {
		return
	}
	for _, tg := range w.Target.TargetGroupARNs {
		var out *elbv2.DescribeTargetHealthOutput
		ok := w.call(ctx, "elasticloadbalancing:DescribeTargetHealth", emit, func(ctx context.Context) (err error) {
			out, err = w.ELB.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)})
			return err
		})
		if !ok {
			continue
		}
		for _, d := range out.TargetHealthDescriptions {
			if d.Target == nil || d.TargetHealth == nil {
				continue
			}
			id := fmt.Sprintf("%s:%d", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port))
			h := d.TargetHealth
			state, reason, desc := string(h.State), string(h.Reason), aws.ToString(h.Description)
			key := tg + "|" + id
			now := state + "|" + reason + "|" + desc
			before, known := w.targets[key]
			w.targets[key] = now
			// A target already healthy when the watch began is the old
			// deployment's, and not news.
			if before == now || (!known && state == "healthy") {
				continue
			}
			f := TargetHealth{Time: time.Now(), TargetGroup: tg, Target: id, State: state, Reason: reason, Description: desc}
			if c, ok := ClassifyTarget(state, reason, desc); ok {
				f.Cause = &c
				w.lastTarget = &c
			}
			emit(f)
		}
	}
}

// Verdict sums up what the Watcher saw, for the message of a failed deploy.
type Verdict struct {
	// Rollout is the deployment's last state, if it was found.
	Rollout *Rollout `json:"rollout,omitempty"`
	// Stopped is how many tasks of the deployment stopped.
	Stopped int `json:"stopped"`
	// Cause is the most frequent cause among them (the first seen of
	// those as frequent), or an unhealthy target's when no task stopped.
	Cause *Cause `json:"cause,omitempty"`
	// Count is how many stopped tasks had Cause.
	Count int `json:"count"`
	// LogLines are the last lines read of a task with Cause (the latest
	// whose lines were read: tasks that exit with a code already seen
	// are not read again).
	LogLines []string `json:"logLines,omitempty"`
}

// Verdict returns what the Watcher found so far. Call it once Run has
// returned.
func (w *Watcher) Verdict() Verdict {
	var v Verdict
	if w.rollout.Deployment != "" {
		r := w.rollout
		v.Rollout = &r
	}
	v.Stopped = w.stopped
	best := ""
	for _, k := range w.order {
		if best == "" || w.counts[k] > w.counts[best] {
			best = k
		}
	}
	if best != "" {
		c := w.causes[best].Cause
		v.Cause, v.Count = &c, w.counts[best]
		v.LogLines = w.causeLines[best]
	} else if w.lastTarget != nil {
		c := *w.lastTarget
		v.Cause = &c
	}
	return v
}

func toTask(t ecstypes.Task) Task {
	arn := aws.ToString(t.TaskArn)
	out := Task{
		ID: arn[strings.LastIndex(arn, "/")+1:], ARN: arn, Deployment: aws.ToString(t.StartedBy),
		StopCode: string(t.StopCode), StoppedReason: aws.ToString(t.StoppedReason),
		StartedAt: aws.ToTime(t.StartedAt), StoppedAt: aws.ToTime(t.StoppedAt),
	}
	for _, c := range t.Containers {
		ct := Container{Name: aws.ToString(c.Name), Reason: aws.ToString(c.Reason)}
		if c.ExitCode != nil {
			code := int(*c.ExitCode)
			ct.ExitCode = &code
		}
		out.Containers = append(out.Containers, ct)
	}
	for _, a := range t.Attachments {
		for _, d := range a.Details {
			if aws.ToString(d.Name) == "privateIPv4Address" {
				out.IPs = append(out.IPs, aws.ToString(d.Value))
			}
		}
	}
	return out
}

// serviceName is the name in a service ARN
// (arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME), or s itself.
func serviceName(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 && strings.HasPrefix(s, "arn:") {
		return s[i+1:]
	}
	return s
}

var throttleCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "RequestLimitExceeded": true,
	"TooManyRequests": true, "TooManyRequestsException": true, "RequestThrottled": true,
}

// Transient reports whether a failed call is worth trying again at the
// next poll: throttling, a server-side error, or no API answer at all (a
// dropped connection, a timeout). Any other API error, such as
// AccessDenied or ValidationError, will not go away by asking again. The
// deployer's polls of CloudFormation use it too.
func Transient(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return true
	}
	if throttleCodes[apiErr.ErrorCode()] {
		return true
	}
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) && status.HTTPStatusCode() >= 500 {
		return true
	}
	return apiErr.ErrorFault() == smithy.FaultServer
}

// brief names an API error as "Code: Message".
func brief(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		if apiErr.ErrorMessage() == "" {
			return apiErr.ErrorCode()
		}
		return apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
	}
	return err.Error()
}

// String sums the verdict up in one line without naming any setting, such
// as "ECS deployment circuit breaker: tasks failed to start; 3 tasks
// stopped: the image was not found in its registry (CannotPullContainerError:
// ... not found)". It is empty when the Watcher found nothing wrong.
func (v Verdict) String() string {
	var parts []string
	if v.Rollout != nil && v.Rollout.Reason != "" && v.Rollout.State == "FAILED" {
		parts = append(parts, strings.TrimSuffix(v.Rollout.Reason, "."))
	}
	if v.Cause != nil {
		var s string
		switch {
		case v.Stopped == 1:
			s = "1 task stopped: "
		case v.Stopped > 1 && v.Count == v.Stopped:
			s = fmt.Sprintf("%d tasks stopped: ", v.Stopped)
		case v.Stopped > 1:
			s = fmt.Sprintf("%d tasks stopped, %d of them: ", v.Stopped, v.Count)
		default:
			s = "targets unhealthy: "
		}
		s += v.Cause.Summary
		if v.Cause.Evidence != "" {
			s += " (" + Shorten(v.Cause.Evidence, 160) + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// Shorten cuts s to at most n runes, marking the cut with "…".
func Shorten(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}
