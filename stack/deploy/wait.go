package deploy

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/cfnfargate/cfnfargate/stack/deploy/watch"
)

const (
	// callTimeout bounds one API call, with the SDK's retries, inside a
	// wait, so that a connection that hangs costs one poll, not the deploy.
	callTimeout = 30 * time.Second
	// cleanupTimeout bounds the calls that tidy up after an interruption.
	cleanupTimeout = 30 * time.Second
	// maxTransientFailures is how many polls in a row may fail with
	// throttling, a 5xx or a broken connection before a wait gives up. The
	// SDK has already retried each of them.
	maxTransientFailures = 8
	maxBackoff           = 30 * time.Second
	// maxEventPages bounds the event pages read in one poll (100 events
	// each), in case the stop conditions never match.
	maxEventPages = 20
)

// errDeadline is the cause of an operation's context that reached its
// deadline (see bounded), and what waits return when it does.
var errDeadline = errors.New("deadline reached")

// bounded returns ctx limited to the operation's timeout. Every call and
// wait of the operation runs on it, so that a server that accepts the
// connection and never answers costs the timeout, not forever. The cause of
// the deadline is errDeadline, which tells a timeout from the caller's
// cancellation (Ctrl-C): see timedOut and interrupted.
func bounded(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, timeout, errDeadline)
}

// timedOut reports whether ctx ended because the operation's deadline passed.
func timedOut(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), errDeadline)
}

// interrupted reports whether ctx ended because the caller cancelled it.
func interrupted(ctx context.Context) bool {
	return ctx.Err() != nil && !timedOut(ctx)
}

// stopped is the error for an operation on stack whose context ended: a
// *TimeoutError when its deadline passed, else an *InterruptedError. status
// is the stack's last known status ("" if none), hint what the interruption
// leaves behind and steps what the user can do about it.
func stopped(ctx context.Context, stack stackRef, status string, timeout time.Duration, hint string, steps ...Step) error {
	if timedOut(ctx) {
		return &TimeoutError{Stack: stack.name, StackID: stack.id, Status: status, After: timeout}
	}
	return &InterruptedError{Stack: stack.name, StackID: stack.id, Status: status, Hint: hint, Steps: steps}
}

// isTransient reports whether a failed call is worth trying again at the
// next poll (watch.Transient).
func isTransient(err error) bool { return watch.Transient(err) }

// isNotFound reports whether err is CloudFormation saying a stack does not
// exist. It has no error type of its own: it is a ValidationError with the
// message "Stack with id NAME does not exist".
func isNotFound(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" &&
		containsFold(apiErr.ErrorMessage(), "does not exist")
}

func (d *Deployer) interval() time.Duration {
	if d.PollInterval > 0 {
		return d.PollInterval
	}
	return DefaultPollInterval
}

// backoff is the delay before the next poll after failures polls in a row
// failed: the poll interval doubled per failure, capped, with jitter so that
// many clients throttled together do not come back together.
func (d *Deployer) backoff(failures int) time.Duration {
	base := d.interval() << min(failures-1, 10)
	base = min(base, maxBackoff)
	return base/2 + rand.N(base/2+1)
}

// sleep waits for delay, or until ctx is done, returning its cause
// (errDeadline when the operation's deadline passed).
func sleep(ctx context.Context, delay time.Duration) error {
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// eventFilter decides which stack events belong to the operation being
// watched. Events are newest first, so reading stops at the first one that
// does not belong.
type eventFilter struct {
	// tokens are the ClientRequestTokens given to the calls that started
	// the operation (ExecuteChangeSet, DeleteStack, CancelUpdateStack).
	// CloudFormation stamps them on every event those calls cause, which
	// tells this operation's events from older ones without trusting
	// clocks. Nil when the operation was started by someone else.
	tokens map[string]bool
	// since is used for events without a token: they belong if they are
	// not older than since, a time on CloudFormation's clock.
	since time.Time
}

func (f eventFilter) belongs(e types.StackEvent) bool {
	// CreateChangeSet records REVIEW_IN_PROGRESS when it makes a stack for
	// a CREATE change set. That is not part of executing it, even though
	// it can carry the same timestamp as the change set.
	if e.ResourceStatus == types.ResourceStatus(statusReviewInProgress) {
		return false
	}
	if tok := aws.ToString(e.ClientRequestToken); tok != "" && f.tokens != nil {
		return f.tokens[tok]
	}
	return !aws.ToTime(e.Timestamp).Before(f.since)
}

// waiter follows one stack operation until the stack settles, reporting
// each new event once.
type waiter struct {
	d         *Deployer
	stack     string // name, for messages
	stackID   string // what is polled; an ID still answers after deletion
	operation string
	filter    eventFilter
	seen      map[string]bool
	events    []ResourceEvent // this operation's events, oldest first
	started   time.Time
	last      *types.Stack
	// before is the stack as it was before the operation started, or nil.
	// See settled.
	before *types.Stack
	// svc watches the stack's ECS service, or is nil.
	svc *serviceWatch
	// deadline, when not zero, ends the wait with errDeployTimeout while
	// the stack is still in progress.
	deadline time.Time
	// timing is passed on in WaitStarted.
	timing *watch.Timing
}

func (d *Deployer) newWaiter(stack, stackID, operation string, filter eventFilter) *waiter {
	return &waiter{
		d: d, stack: stack, stackID: stackID, operation: operation,
		filter: filter, seen: map[string]bool{}, started: time.Now(),
	}
}

func (w *waiter) ref() stackRef { return stackRef{w.stack, w.stackID} }

// status is the last status seen, or "" before the first poll.
func (w *waiter) status() string {
	if w.last == nil {
		return ""
	}
	return string(w.last.StackStatus)
}

func (w *waiter) begin() {
	w.d.emit(WaitStarted{Time: time.Now(), Stack: w.stack, Operation: w.operation, Timing: w.timing})
}

func (w *waiter) end() {
	w.d.emit(WaitEnded{Time: time.Now(), Started: w.started, StackStatus: w.status()})
}

// baseline marks the events already on the stack as seen, for operations
// that have no change set creation time to filter by, and takes the newest
// one's time as the filter's since.
func (w *waiter) baseline(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := w.d.API.DescribeStackEvents(cctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(w.stackID)})
	if err != nil {
		return fmt.Errorf("describe events of stack %s: %w", w.stack, readable(err))
	}
	for i, e := range out.StackEvents {
		if i == 0 {
			w.filter.since = aws.ToTime(e.Timestamp)
		}
		w.seen[aws.ToString(e.EventId)] = true
	}
	return nil
}

// wait polls until the stack settles, ctx is done (returning its cause:
// errDeadline when the operation's deadline passed), or polling fails for
// good.
func (w *waiter) wait(ctx context.Context) error {
	var failures int
	for {
		pollStart := time.Now()
		settled, err := w.poll(ctx)
		switch {
		case err == nil:
			failures = 0
			w.svc.sync(ctx)
			w.d.emit(Polled{Time: time.Now(), Started: w.started, StackStatus: w.status()})
			if settled {
				return nil
			}
			if !w.deadline.IsZero() && !time.Now().Before(w.deadline) {
				return errDeployTimeout
			}
		case ctx.Err() != nil:
			return context.Cause(ctx)
		case !isTransient(err):
			return err
		default:
			failures++
			if failures > maxTransientFailures {
				return fmt.Errorf("gave up after %d failed polls in a row: %w", failures, err)
			}
		}
		// Poll on a fixed cadence, so a stack that settles is noticed
		// within one interval however long the calls took.
		delay := w.d.interval() - time.Since(pollStart)
		if failures > 0 {
			delay = w.d.backoff(failures)
			w.d.note(w.stack, "Reading stack %s failed (%s); trying again in %s", w.stack, briefly(err), delay.Round(time.Millisecond))
		}
		if err := w.pause(ctx, delay); err != nil {
			return err
		}
	}
}

// pause waits for delay as sleep does, reporting the service watch's facts
// as they come, and ends early with errFailFast when one trips fail-fast.
func (w *waiter) pause(ctx context.Context, delay time.Duration) error {
	if !w.deadline.IsZero() {
		delay = max(0, min(delay, time.Until(w.deadline)))
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-t.C:
			return nil
		case f := <-w.svc.ch():
			w.svc.report(f)
			if w.svc.tripped != nil {
				return errFailFast
			}
		}
	}
}

// poll reads the stack and its new events once.
func (w *waiter) poll(ctx context.Context) (settled bool, err error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := w.d.API.DescribeStacks(cctx, &cloudformation.DescribeStacksInput{StackName: aws.String(w.stackID)})
	if err != nil && isNotFound(err) {
		// Polling is by stack ID, which answers DELETE_COMPLETE for a
		// deleted stack for 90 days; "does not exist" means the same.
		w.last = &types.Stack{StackId: aws.String(w.stackID), StackName: aws.String(w.stack), StackStatus: statusDeleteComplete}
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("describe stack %s: %w", w.stack, readable(err))
	}
	if len(out.Stacks) == 0 {
		return false, fmt.Errorf("describe stack %s: no stack in the answer", w.stack)
	}
	stack := out.Stacks[0]
	// Events are read after the status, so that when the status is final
	// the events that led to it have been read too.
	if err := w.readEvents(cctx, aws.ToString(stack.StackId)); err != nil {
		return false, err
	}
	w.last = &stack
	return w.settled(stack), nil
}

// settled reports whether the operation is over.
func (w *waiter) settled(s types.Stack) bool {
	// REVIEW_IN_PROGRESS is a stack whose CREATE change set has not
	// started executing yet.
	if status := string(s.StackStatus); inProgress(status) || status == statusReviewInProgress {
		return false
	}
	// DescribeStacks is eventually consistent: just after
	// ExecuteChangeSet it may still show the state the previous operation
	// left. A state that is unchanged in status and update time, with no
	// event of this operation yet, is taken as not started (for a while).
	if b := w.before; b != nil && len(w.events) == 0 && time.Since(w.started) < staleGrace &&
		b.StackStatus == s.StackStatus && aws.ToTime(b.LastUpdatedTime).Equal(aws.ToTime(s.LastUpdatedTime)) {
		return false
	}
	return true
}

const staleGrace = 30 * time.Second

// readEvents reads events newest first, page by page, until it reaches one
// already seen or one from before the operation, then reports the new ones
// oldest first. Nothing is marked seen unless the whole read succeeds, so a
// failed read loses nothing and the next poll repeats it.
func (w *waiter) readEvents(ctx context.Context, stackID string) error {
	var fresh []types.StackEvent
	inBatch := map[string]bool{}
	var token *string
	for page := 0; page < maxEventPages; page++ {
		out, err := w.d.API.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{
			StackName: aws.String(w.stackID),
			NextToken: token,
		})
		if err != nil {
			return fmt.Errorf("describe events of stack %s: %w", w.stack, readable(err))
		}
		done := false
		for _, e := range out.StackEvents {
			id := aws.ToString(e.EventId)
			if w.seen[id] || inBatch[id] || !w.filter.belongs(e) {
				done = true
				break
			}
			inBatch[id] = true
			fresh = append(fresh, e)
		}
		if done || out.NextToken == nil {
			break
		}
		token = out.NextToken
	}
	for i := len(fresh) - 1; i >= 0; i-- {
		e := toResourceEvent(fresh[i], w.stack, stackID)
		w.seen[e.ID] = true
		w.events = append(w.events, e)
		w.d.emit(e)
		w.svc.observe(e)
	}
	return nil
}

func toResourceEvent(e types.StackEvent, stackName, stackID string) ResourceEvent {
	out := ResourceEvent{
		ID:           aws.ToString(e.EventId),
		Time:         aws.ToTime(e.Timestamp),
		LogicalID:    aws.ToString(e.LogicalResourceId),
		PhysicalID:   aws.ToString(e.PhysicalResourceId),
		ResourceType: aws.ToString(e.ResourceType),
		Status:       string(e.ResourceStatus),
		Reason:       aws.ToString(e.ResourceStatusReason),
	}
	// Hook invocations are events too, with the hook's status in place of
	// the resource's.
	if out.Status == "" && e.HookStatus != "" {
		out.Status = string(e.HookStatus)
		out.Reason = aws.ToString(e.HookStatusReason)
	}
	out.StackLevel = out.ResourceType == "AWS::CloudFormation::Stack" &&
		(out.PhysicalID == stackID || out.LogicalID == stackName)
	return out
}

// rootCause picks the event that explains a failed operation: the first
// resource that failed, not counting those cancelled because another one
// failed, nor the stack's own summary ("The following resource(s) failed
// to create: [...]") when a resource says more.
func rootCause(events []ResourceEvent) (ResourceEvent, bool) {
	failed := func(e ResourceEvent) bool { return strings.HasSuffix(e.Status, "_FAILED") }
	for _, e := range events {
		if !e.StackLevel && failed(e) && !isCancellation(e.Reason) {
			return e, true
		}
	}
	for _, e := range events {
		if !e.StackLevel && failed(e) {
			return e, true
		}
	}
	for _, e := range events {
		if e.StackLevel && e.Reason != "" && (failed(e) || containsFold(e.Status, "ROLLBACK")) {
			return e, true
		}
	}
	return ResourceEvent{}, false
}

// isCancellation reports a reason CloudFormation gives to resources it
// stopped because a sibling failed ("Resource creation cancelled",
// "Resource update cancelled").
func isCancellation(reason string) bool {
	return containsFold(reason, "Resource creation cancelled") ||
		containsFold(reason, "Resource update cancelled") ||
		containsFold(reason, "Resource deletion cancelled")
}

// briefly names an error for a progress note or a message: "Code: Message"
// for an API error, or the innermost error for a connection problem.
func briefly(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		if apiErr.ErrorMessage() == "" {
			return apiErr.ErrorCode()
		}
		return apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
	}
	for inner := errors.Unwrap(err); inner != nil; inner = errors.Unwrap(err) {
		err = inner
	}
	return err.Error()
}

// briefError is an SDK error that reads as "Code: Message". The SDK's own
// text repeats the operation, the HTTP status and the request ID ("operation
// error CloudFormation: ExecuteChangeSet, https response error StatusCode:
// 400, RequestID: ..., api error ValidationError: ..."), which buries the
// message. Unwrap returns the SDK error, so errors.As still finds the
// smithy.APIError, the HTTP response and the request ID.
type briefError struct{ err error }

func (e *briefError) Error() string { return briefly(e.err) }
func (e *briefError) Unwrap() error { return e.err }

// readable wraps an API error from the SDK in a briefError before the
// package adds its context to it. Other errors (a connection that failed,
// a cancelled context) are returned as they are: their whole text is the
// explanation.
func readable(err error) error {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return err
	}
	return &briefError{err: err}
}

// Reasons a wait ends before the stack settles, besides its context.
var (
	// errFailFast: tasks of the new deployment keep stopping for the same
	// deterministic cause (Input.FailFast).
	errFailFast = errors.New("tasks keep stopping for the same cause")
	// errDeployTimeout: Input.DeployTimeout passed.
	errDeployTimeout = errors.New("deploy timeout passed")
)

// serviceWatch runs a watch.Watcher beside a wait, from the first event
// that shows the stack's ECS service in progress until the service settles
// or the wait ends. The Watcher runs in a goroutine of its own and hands
// its facts over a channel; the waiter reports them, so the Sink is still
// called from one goroutine only.
type serviceWatch struct {
	d         *Deployer
	stack     string
	stackID   string
	since     time.Time
	prefix    string
	failAfter int // 0: no fail-fast
	timing    *watch.Timing

	arn     string // the service's, once an event showed it in progress
	settled bool   // an event showed the service settled after that
	w       *watch.Watcher
	located bool // the watch has looked for the stack's other resources
	facts   chan watch.Fact
	done    chan struct{}
	cancel  context.CancelFunc
	stopped bool
	verdict *watch.Verdict
	// tripped is the stopped task that made fail-fast stop the deploy.
	tripped *watch.TaskStopped
}

// newServiceWatch returns the watch of an operation on stack, or nil when
// the Deployer has no ECS client.
func (d *Deployer) newServiceWatch(stack, stackID string, since time.Time, prefix string, in Input) *serviceWatch {
	if d.ECS == nil {
		return nil
	}
	s := &serviceWatch{d: d, stack: stack, stackID: stackID, since: since, prefix: prefix, timing: in.Timing}
	if in.FailFast {
		s.failAfter = in.FailFastAfter
	}
	return s
}

// observe notes the first event that shows the service in progress with
// its ARN, and the event that shows it settled: a rollback that follows is
// not this deployment's rollout. sync acts on them.
func (s *serviceWatch) observe(e ResourceEvent) {
	if s == nil || e.ResourceType != serviceType {
		return
	}
	switch {
	case s.arn == "" && inProgress(e.Status) && strings.HasPrefix(e.PhysicalID, "arn:"):
		s.arn = e.PhysicalID
	case s.arn != "" && !inProgress(e.Status):
		s.settled = true
	}
}

// sync starts the watch, on the wait's context, or stops it, as the events
// observed so far ask.
func (s *serviceWatch) sync(ctx context.Context) {
	if s == nil {
		return
	}
	if s.arn != "" && s.w == nil {
		// A service that settled in the same poll that showed it in
		// progress gets no watch of its own: its one look is the final one
		// below, so that a lookup started here and cancelled at once is
		// not made twice.
		s.start(ctx, s.arn, !s.settled)
	}
	if s.settled && s.w != nil && !s.stopped {
		s.stop()
		// ECS marks the rollout failed before CloudFormation reports the
		// service failed: one last look gets its reason, and the tasks
		// that stopped last, for the verdict. A service that settled
		// before the watch could find its other resources (both events
		// in one poll) has them found now.
		if !s.located {
			s.locate(ctx)
		}
		s.w.Final(ctx, s.report)
		s.keepVerdict()
	}
}

// start sets up the watch of the service, and runs it when run is set.
func (s *serviceWatch) start(ctx context.Context, serviceARN string, run bool) {
	limiter := s.d.WatchLimiter
	if limiter == nil {
		limiter = watch.NewLimiter(watch.DefaultRate, watch.DefaultBurst)
	}
	cluster, _ := clusterAndServiceFromARN(serviceARN)
	s.w = &watch.Watcher{ECS: s.d.ECS, ELB: s.d.TargetHealth, Logs: s.d.Logs, Interval: s.d.WatchInterval, Limiter: limiter,
		Target: watch.Target{Cluster: cluster, Service: serviceARN, LogStreamPrefix: s.prefix, Since: s.since}}
	s.facts, s.done = make(chan watch.Fact, 64), make(chan struct{})
	wctx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	if !run {
		close(s.done)
		return
	}
	emit := func(f watch.Fact) {
		select {
		case s.facts <- f:
		case <-wctx.Done():
		}
	}
	go func() {
		defer close(s.done)
		if s.locateWith(wctx, emit) {
			s.w.Run(wctx, emit)
		}
	}()
}

// locate finds the service's target groups and log group, on the waiter's
// goroutine once the watch has stopped.
func (s *serviceWatch) locate(ctx context.Context) { s.locateWith(ctx, s.report) }

// locateWith finds the target groups and the log group, the stack's other
// resources, with one ListStackResources call within the budget. It
// reports false when ctx ended first.
func (s *serviceWatch) locateWith(ctx context.Context, emit func(watch.Fact)) bool {
	if s.w.Limiter.Wait(ctx) != nil {
		return false
	}
	res, err := Locate(ctx, s.d.API, s.stackID)
	switch {
	case err == nil:
		s.w.Target.TargetGroupARNs, s.w.Target.LogGroup = res.TargetGroupARNs, res.LogGroup
		if s.w.Target.Cluster == "" {
			s.w.Target.Cluster = res.Cluster
		}
		s.located = true
	case ctx.Err() == nil:
		emit(watch.Denied{Time: time.Now(), Action: "cloudformation:ListStackResources", Message: briefly(err)})
		s.located = true // not again
	default:
		return false
	}
	return true
}

// ch is the channel of facts, nil (which never delivers) when no watch runs.
func (s *serviceWatch) ch() chan watch.Fact {
	if s == nil || s.w == nil || s.stopped {
		return nil
	}
	return s.facts
}

// report sends a fact on and decides on fail-fast.
func (s *serviceWatch) report(f watch.Fact) {
	s.d.emit(ServiceFact{Stack: s.stack, Fact: f})
	if t, ok := f.(watch.TaskStopped); ok && s.failAfter > 0 && s.tripped == nil &&
		t.Cause.Deterministic && t.Count >= s.failAfter {
		s.tripped = &t
	}
}

// stop ends the watch, reports the facts still on their way and keeps the
// Watcher's verdict.
func (s *serviceWatch) stop() {
	if s == nil || s.w == nil || s.stopped {
		return
	}
	s.stopped = true
	s.cancel()
	for {
		select {
		case f := <-s.facts:
			s.report(f)
			continue
		case <-s.done:
		}
		break
	}
	for len(s.facts) > 0 {
		s.report(<-s.facts)
	}
	s.keepVerdict()
}

func (s *serviceWatch) keepVerdict() {
	v := s.w.Verdict()
	if v.Cause != nil || v.Stopped > 0 || (v.Rollout != nil && v.Rollout.State == "FAILED") {
		s.verdict = &v
	}
}

// result stops the watch and returns its verdict, nil when it found
// nothing wrong or never ran.
func (s *serviceWatch) result() *watch.Verdict {
	if s == nil {
		return nil
	}
	s.stop()
	return s.verdict
}
