package deploy

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Proves: the first failed resource is the root cause, not the resources
// cancelled because of it nor the stack's summary of them.
func TestRootCause(t *testing.T) {
	t.Parallel()
	stack := func(status, reason string) ResourceEvent {
		return ResourceEvent{LogicalID: "demo", Status: status, Reason: reason, StackLevel: true}
	}
	res := func(id, status, reason string) ResourceEvent {
		return ResourceEvent{LogicalID: id, Status: status, Reason: reason}
	}
	tests := []struct {
		name   string
		events []ResourceEvent
		want   string // LogicalID: Reason
	}{
		{"cancelled sibling failed first", []ResourceEvent{
			stack("CREATE_IN_PROGRESS", "User Initiated"),
			res("Cluster", "CREATE_FAILED", "Resource creation cancelled"),
			res("Service", "CREATE_FAILED", "Invalid subnet"),
			stack("ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [Cluster, Service]."),
		}, "Service: Invalid subnet"},
		{"only cancellations", []ResourceEvent{
			res("Cluster", "UPDATE_FAILED", "Resource update cancelled"),
		}, "Cluster: Resource update cancelled"},
		{"stack-level only", []ResourceEvent{
			stack("UPDATE_ROLLBACK_IN_PROGRESS", "Stack update cancelled"),
		}, "demo: Stack update cancelled"},
		{"nothing failed", []ResourceEvent{res("Cluster", "CREATE_COMPLETE", "")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if e, ok := rootCause(tt.events); ok {
				got = e.LogicalID + ": " + e.Reason
			}
			if got != tt.want {
				t.Errorf("rootCause = %q; want %q", got, tt.want)
			}
		})
	}
}

// Proves: throttling, 5xx and connection errors are worth another poll;
// other API errors are not.
func TestIsTransient(t *testing.T) {
	t.Parallel()
	withStatus := func(code int, err error) error {
		return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}}, Err: err}}
	}
	tests := []struct {
		err  error
		want bool
	}{
		{withStatus(400, &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}), true},
		{withStatus(400, &smithy.GenericAPIError{Code: "RequestLimitExceeded"}), true},
		{withStatus(500, &smithy.GenericAPIError{Code: "InternalFailure"}), true},
		{withStatus(503, &smithy.GenericAPIError{Code: "ServiceUnavailable"}), true},
		{fmt.Errorf("operation error: %w", io.ErrUnexpectedEOF), true},
		{withStatus(400, &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id x does not exist"}), false},
		{withStatus(403, &smithy.GenericAPIError{Code: "AccessDenied"}), false},
		{withStatus(400, &smithy.GenericAPIError{Code: "ExpiredToken"}), false},
	}
	for _, tt := range tests {
		if got := isTransient(tt.err); got != tt.want {
			t.Errorf("isTransient(%v) = %v; want %v", tt.err, got, tt.want)
		}
	}
	if !isNotFound(tests[5].err) || isNotFound(tests[6].err) || isNotFound(errors.New("does not exist")) {
		t.Error("isNotFound misclassifies")
	}
}

// Proves: the delay after failed polls doubles with each failure from the
// poll interval, stops growing at maxBackoff, and is jittered within the
// upper half of that: between base/2 and base, different from draw to draw.
func TestBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		interval time.Duration
		failures int
		base     time.Duration
	}{
		{20 * time.Millisecond, 1, 20 * time.Millisecond},
		{20 * time.Millisecond, 2, 40 * time.Millisecond},
		{20 * time.Millisecond, 3, 80 * time.Millisecond},
		{DefaultPollInterval, 1, 2 * time.Second},
		{DefaultPollInterval, 4, 16 * time.Second},
		{DefaultPollInterval, 5, 30 * time.Second}, // 32 s, capped
		{DefaultPollInterval, 12, 30 * time.Second},
		{DefaultPollInterval, 100, 30 * time.Second},
	}
	for _, tt := range tests {
		d := &Deployer{PollInterval: tt.interval}
		seen := map[time.Duration]bool{}
		for range 200 {
			got := d.backoff(tt.failures)
			if got < tt.base/2 || got > tt.base {
				t.Fatalf("backoff(%d) with interval %s = %s; want within [%s, %s]", tt.failures, tt.interval, got, tt.base/2, tt.base)
			}
			seen[got] = true
		}
		if len(seen) < 2 {
			t.Errorf("backoff(%d) with interval %s gave %d distinct delays in 200 draws; want jitter", tt.failures, tt.interval, len(seen))
		}
	}
}
