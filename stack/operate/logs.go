package operate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// LogEvent is one line a container logged.
type LogEvent struct {
	Time      time.Time `json:"time"`
	TaskID    string    `json:"task"`
	Container string    `json:"container"`
	Stream    string    `json:"stream"`
	Message   string    `json:"message"`
	// id is CloudWatch's event ID, when the API gave one.
	id string
}

// key identifies an event across the APIs that return it: Live Tail gives
// no event ID.
func (e LogEvent) key() string {
	return fmt.Sprintf("%d\x00%s\x00%s", e.Time.UnixMilli(), e.Stream, e.Message)
}

// LogOptions select and follow the service's log lines.
type LogOptions struct {
	// Since is how far back to start; zero means from the start of the
	// log group's retention.
	Since time.Duration
	// Task, the ID of a task or the start of one, keeps its lines only.
	Task string
	// Filter is a CloudWatch Logs filter pattern.
	Filter string
	// Follow keeps streaming new lines until ctx ends.
	Follow bool
	// PollInterval is how often a followed log is polled when Live Tail
	// is not available; zero means DefaultPollInterval.
	PollInterval time.Duration
	// Notify, when set, is told how the log is followed (Live Tail, or
	// polling and why).
	Notify func(format string, args ...any)
	// Warn, when set, is told once when Live Tail shows only a sample of
	// the lines.
	Warn func(format string, args ...any)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (o LogOptions) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o LogOptions) notify(format string, args ...any) {
	if o.Notify != nil {
		o.Notify(format, args...)
	}
}

func (o LogOptions) warn(format string, args ...any) {
	if o.Warn != nil {
		o.Warn(format, args...)
	}
}

// ErrNoLogGroup reports a stack without a log group.
var ErrNoLogGroup = errors.New("the stack has no log group")

// Logs sends the service's log lines to emit, oldest first, and with
// Follow keeps sending new ones until ctx ends. Following uses CloudWatch
// Logs Live Tail and falls back to polling FilterLogEvents when Live Tail
// is not available (not permitted, not offered by the endpoint).
func Logs(ctx context.Context, c Clients, svc *Service, o LogOptions, emit func(LogEvent) error) error {
	if svc.LogGroup == "" {
		return ErrNoLogGroup
	}
	prefix := svc.streamPrefix()
	if o.Task != "" {
		// The task's application container only: PREFIX/CONTAINER/TASK.
		prefix += svc.Container + "/" + TaskID(o.Task)
	}
	var start int64
	if o.Since > 0 {
		start = o.now().Add(-o.Since).UnixMilli()
	}
	if !o.Follow {
		_, err := filterOnce(ctx, c, svc, prefix, o.Filter, start, newPrinted(), emit)
		return err
	}

	// Live Tail sends only what arrives after it starts: start it first,
	// then print the lines before, then the live ones the history did
	// not already hold.
	tail, terr := startLiveTail(ctx, c, svc, prefix, o.Filter)
	seen := newPrinted()
	_, err := filterOnce(ctx, c, svc, prefix, o.Filter, start, seen, emit)
	if err != nil {
		if tail != nil {
			tail.Close()
		}
		return err
	}
	if terr == nil {
		o.notify("Following with CloudWatch Logs Live Tail")
		err := followLiveTail(ctx, c, svc, prefix, o, tail, seen, emit)
		if ctx.Err() != nil || err == nil {
			return nil
		}
		if errors.As(err, new(emitError)) {
			return err
		}
		terr = err
	}
	if ctx.Err() != nil {
		return nil
	}
	o.notify("Live Tail is not available (%s); polling every %s", brief(terr), o.interval())
	// From the newest line printed, by the history or Live Tail.
	return poll(ctx, c, svc, prefix, o, start, seen, emit)
}

func (o LogOptions) interval() time.Duration {
	if o.PollInterval > 0 {
		return o.PollInterval
	}
	return DefaultPollInterval
}

// emitError is an error of the caller's emit, such as a closed pipe,
// which ends following instead of falling back to polling.
type emitError struct{ err error }

func (e emitError) Error() string { return e.err.Error() }
func (e emitError) Unwrap() error { return e.err }

// printed remembers the lines sent, by key, to send each once where two
// reads overlap: the history and Live Tail, Live Tail and polling after
// it, and polls that start at the newest millisecond already sent.
type printed struct {
	keys   map[string]int64 // key: the event's time, Unix ms
	newest int64
}

func newPrinted() *printed { return &printed{keys: map[string]int64{}} }

// first reports whether e is new, and remembers it.
func (p *printed) first(e LogEvent) bool {
	k := e.key()
	if _, ok := p.keys[k]; ok {
		return false
	}
	ms := e.Time.UnixMilli()
	p.keys[k] = ms
	p.newest = max(p.newest, ms)
	return true
}

// forget drops the lines older than before (Unix ms).
func (p *printed) forget(before int64) {
	for k, ms := range p.keys {
		if ms < before {
			delete(p.keys, k)
		}
	}
}

// liveTailWindow is how far behind the newest live line a line may still
// arrive.
const liveTailWindow = 5 * time.Minute

// filterOnce sends every event since start (Unix ms) through the pages of
// FilterLogEvents, and returns the newest event's time. Events in seen are
// skipped; those sent are added to it.
func filterOnce(ctx context.Context, c Clients, svc *Service, prefix, filter string, start int64, seen *printed, emit func(LogEvent) error) (int64, error) {
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(svc.LogGroup)}
	if prefix != "" {
		in.LogStreamNamePrefix = aws.String(prefix)
	}
	if filter != "" {
		in.FilterPattern = aws.String(filter)
	}
	if start > 0 {
		in.StartTime = aws.Int64(start)
	}
	var newest int64
	for {
		out, err := c.Logs.FilterLogEvents(ctx, in)
		if err != nil {
			if errorCode(err) == "ResourceNotFoundException" {
				return newest, fmt.Errorf("log group %s: %w", svc.LogGroup, ErrNoLogGroup)
			}
			return newest, callError("logs:FilterLogEvents", "read log group "+svc.LogGroup, err)
		}
		for _, e := range out.Events {
			// CloudWatch filters by prefix already; moto ignores the
			// prefix, and a line of another task must never show.
			if !strings.HasPrefix(aws.ToString(e.LogStreamName), prefix) {
				continue
			}
			ev := svc.event(aws.ToString(e.LogStreamName), aws.ToInt64(e.Timestamp), aws.ToString(e.Message))
			ev.id = aws.ToString(e.EventId)
			newest = max(newest, aws.ToInt64(e.Timestamp))
			if !seen.first(ev) {
				continue
			}
			if err := emit(ev); err != nil {
				return newest, emitError{err}
			}
		}
		// FilterLogEvents may return an empty page with a token while it
		// searches; the last page has none.
		if out.NextToken == nil || aws.ToString(out.NextToken) == aws.ToString(in.NextToken) {
			return newest, nil
		}
		in.NextToken = out.NextToken
	}
}

func (s *Service) event(stream string, ms int64, message string) LogEvent {
	task, container := s.taskOfStream(stream)
	return LogEvent{Time: time.UnixMilli(ms).UTC(), TaskID: task, Container: container, Stream: stream,
		Message: strings.TrimRight(message, "\n")}
}

// pollOverlap is how far behind the newest line printed each poll starts
// reading again. Each task logs to its own stream and its driver sends in
// batches, so a line can reach CloudWatch after a newer line of another
// task: a poll from the newest line alone would never see it (aws-cli
// #6788: events "ingested an arbitrary amount of time later"). The lines
// read twice are told apart by seen.
const pollOverlap = 30 * time.Second

// poll follows the log with FilterLogEvents until ctx ends, each time from
// pollOverlap before the newest line printed, never before since (Unix
// ms). A line read again is skipped by seen, which remembers the window.
func poll(ctx context.Context, c Clients, svc *Service, prefix string, o LogOptions, since int64, seen *printed, emit func(LogEvent) error) error {
	ticker := time.NewTicker(o.interval())
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		start := max(since, seen.newest-pollOverlap.Milliseconds())
		if _, err := filterOnce(ctx, c, svc, prefix, o.Filter, start, seen, emit); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		// Only lines inside the next poll's window can come again.
		seen.forget(max(since, seen.newest-pollOverlap.Milliseconds()))
	}
}

// startLiveTail starts a Live Tail session of the service's streams.
func startLiveTail(ctx context.Context, c Clients, svc *Service, prefix, filter string) (*cloudwatchlogs.StartLiveTailEventStream, error) {
	in := &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{svc.LogGroupARN()}}
	// Live Tail takes stream prefixes only with a single log group
	// (CloudWatch Logs API reference, StartLiveTail, logStreamNamePrefixes).
	if prefix != "" {
		in.LogStreamNamePrefixes = []string{prefix}
	}
	if filter != "" {
		in.LogEventFilterPattern = aws.String(filter)
	}
	out, err := c.Logs.StartLiveTail(ctx, in, keepEndpointHost)
	if err != nil {
		return nil, callError("logs:StartLiveTail", "start Live Tail", err)
	}
	return out.GetStream(), nil
}

// keepEndpointHost sends StartLiveTail to an endpoint set by hand (an
// emulator, a VPC endpoint) as it is: the SDK otherwise prefixes the host
// with "stream-", which suits only AWS's own endpoints.
func keepEndpointHost(o *cloudwatchlogs.Options) {
	if o.BaseEndpoint == nil {
		return
	}
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("cfnfargateKeepHost",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
			}), middleware.Before)
	})
}

// followLiveTail sends the events of a Live Tail session until ctx ends.
// A session lasts at most three hours (CloudWatch Logs API reference,
// StartLiveTail), and ends with SessionTimeoutException; a new one then
// starts. An error returns it, for the caller to fall back to polling.
func followLiveTail(ctx context.Context, c Clients, svc *Service, prefix string, o LogOptions,
	stream *cloudwatchlogs.StartLiveTailEventStream, seen *printed, emit func(LogEvent) error) error {
	sampled := false
	for {
		err := readLiveTail(ctx, svc, stream, seen, emit, func() {
			if !sampled {
				sampled = true
				o.warn("more than 500 lines a second match: Live Tail shows a sample of them, not every line (CloudWatch Logs, LiveTailSessionMetadata); use --filter to narrow them, or read a past period without --follow")
			}
		})
		stream.Close()
		if ctx.Err() != nil {
			return nil
		}
		var timeout *logtypes.SessionTimeoutException
		if err != nil && !errors.As(err, &timeout) && errorCode(err) != "SessionTimeoutException" {
			return err
		}
		o.notify("Live Tail session ended; starting a new one")
		if stream, err = startLiveTail(ctx, c, svc, prefix, o.Filter); err != nil {
			return err
		}
	}
}

// readLiveTail sends the events of a session until it ends; onSampled is
// called for each update that holds a sample of the matching lines: above
// 500 events a second, Live Tail samples them down to 500 and says so in
// the update's metadata (CloudWatch Logs API reference,
// LiveTailSessionUpdate and LiveTailSessionMetadata, sampled).
func readLiveTail(ctx context.Context, svc *Service, stream *cloudwatchlogs.StartLiveTailEventStream, seen *printed, emit func(LogEvent) error, onSampled func()) error {
	events := stream.Events()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				if err := stream.Err(); err != nil {
					return err
				}
				return &logtypes.SessionTimeoutException{Message: aws.String("the Live Tail stream ended")}
			}
			update, ok := ev.(*logtypes.StartLiveTailResponseStreamMemberSessionUpdate)
			if !ok {
				continue
			}
			if m := update.Value.SessionMetadata; m != nil && m.Sampled {
				onSampled()
			}
			for _, r := range update.Value.SessionResults {
				e := svc.event(aws.ToString(r.LogStreamName), aws.ToInt64(r.Timestamp), aws.ToString(r.Message))
				if !seen.first(e) {
					continue
				}
				// Live events come in about the order they happen;
				// what is minutes older than the newest cannot come
				// again, from Live Tail or from polling after it.
				if len(seen.keys) > 10000 {
					seen.forget(seen.newest - liveTailWindow.Milliseconds())
				}
				if err := emit(e); err != nil {
					return emitError{err}
				}
			}
		}
	}
}

// PreviousLogs returns the last lines the application container of task
// logged, at most limit (GetLogEvents, newest page first).
func PreviousLogs(ctx context.Context, c Clients, svc *Service, task Task, limit int32) ([]LogEvent, error) {
	if svc.LogGroup == "" {
		return nil, ErrNoLogGroup
	}
	stream := svc.TaskStream(task.ID)
	out, err := c.Logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName:  aws.String(svc.LogGroup),
		LogStreamName: aws.String(stream),
		StartFromHead: aws.Bool(false),
		Limit:         aws.Int32(limit),
	})
	if errorCode(err) == "ResourceNotFoundException" {
		return nil, nil // the task stopped before its container logged
	}
	if err != nil {
		return nil, callError("logs:GetLogEvents", "read log stream "+stream, err)
	}
	var events []LogEvent
	for _, e := range out.Events {
		events = append(events, svc.event(stream, aws.ToInt64(e.Timestamp), aws.ToString(e.Message)))
	}
	return events, nil
}
