package deploy

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/cfnfargate/cfnfargate/stack"
)

// isolateAWSConfig points the SDK at an empty configuration with static
// credentials, so the test does not read the machine's profiles.
func isolateAWSConfig(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDSIMULATOR")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
}

// withoutCredentials empties every environment variable that could give
// the SDK credentials, on top of isolateAWSConfig's empty files.
func withoutCredentials(t *testing.T) {
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
		t.Setenv(v, "")
	}
}

// Proves: NewClient follows AWS_REGION and AWS_ENDPOINT_URL_CLOUDFORMATION
// with no options, and explicit options override them.
func TestNewClientUsesEnvironmentAndOverrides(t *testing.T) {
	isolateAWSConfig(t)
	sim := newSimulator(t)
	sim.addStack("demo", statusCreateComplete, nil)
	ctx := context.Background()

	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", sim.srv.URL)
	client, err := NewClient(ctx, ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if client.Options().Region != "eu-west-1" {
		t.Errorf("Region = %q; want eu-west-1 from AWS_REGION", client.Options().Region)
	}
	if st, err := New(client, nil).Status(ctx, "demo"); err != nil || st.Status != statusCreateComplete {
		t.Errorf("Status through AWS_ENDPOINT_URL_CLOUDFORMATION = %+v, %v", st, err)
	}

	t.Setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", "http://127.0.0.1:1")
	client, err = NewClient(ctx, ClientOptions{Region: "us-west-2", EndpointURL: sim.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if client.Options().Region != "us-west-2" {
		t.Errorf("Region = %q; want the explicit us-west-2", client.Options().Region)
	}
	if _, err := New(client, nil).Status(ctx, "demo"); err != nil {
		t.Errorf("Status through the explicit endpoint: %v", err)
	}
}

// Proves: no region anywhere is an input error about the Region field,
// which the command line maps to --region.
func TestNewClientNeedsARegion(t *testing.T) {
	isolateAWSConfig(t)
	_, err := NewClient(context.Background(), ClientOptions{})
	var ie *stack.ValidationError
	if !errors.As(err, &ie) || ie.Problems[0].Key != FieldRegion || ExitCode(err) != ExitInput {
		t.Errorf("NewClient without a region: %v; want an invalid-input error for the Region field", err)
	}
}

// Proves: with no credentials anywhere (no keys, no profile, no metadata
// service), NewClients fails at once with a *CredentialsError, exit code 2,
// rather than handing out clients whose first call fails with a raw SDK
// error. The metadata service is disabled, so nothing leaves the machine.
func TestNewClientsNeedCredentials(t *testing.T) {
	isolateAWSConfig(t)
	withoutCredentials(t)
	_, err := NewClients(context.Background(), ClientOptions{Region: "us-east-1", EndpointURL: "http://127.0.0.1:1"})
	var ce *CredentialsError
	if !errors.As(err, &ce) || ExitCode(err) != ExitInput {
		t.Fatalf("NewClients without credentials: %v (%T); want a *CredentialsError, exit 2", err, err)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDSIMULATOR")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	if _, err := NewClients(context.Background(), ClientOptions{Region: "us-east-1"}); err != nil {
		t.Errorf("NewClients with credentials: %v", err)
	}
}

// Proves: the SDK's own log lines are dropped unless Debug asks for them,
// and Debug adds the retries to them.
func TestSDKLogsOnlyWithDebug(t *testing.T) {
	isolateAWSConfig(t)
	quiet, err := NewClients(context.Background(), ClientOptions{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, nop := quiet.CloudFormation.Options().Logger.(logging.Nop); !nop {
		t.Errorf("without Debug the logger is %T; want logging.Nop", quiet.CloudFormation.Options().Logger)
	}
	debug, err := NewClients(context.Background(), ClientOptions{Region: "us-east-1", Debug: true})
	if err != nil {
		t.Fatal(err)
	}
	o := debug.CloudFormation.Options()
	if _, nop := o.Logger.(logging.Nop); nop || !o.ClientLogMode.IsRetries() {
		t.Errorf("with Debug the logger is %T, log mode %v; want a logger and retries logged", o.Logger, o.ClientLogMode)
	}
}

// Proves: without credentials, the instance-role lookup asks the metadata
// service once for a token and once for the role, with no retries, so a
// machine that is not on EC2 hears "no credentials" at once. The metadata
// service here is a local server that fails every request with a
// retryable 500 and counts them.
func TestNoCredentialsAsksTheMetadataServiceOnce(t *testing.T) {
	isolateAWSConfig(t)
	withoutCredentials(t)
	var requests atomic.Int32
	imdsServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "simulated metadata service failure", http.StatusInternalServerError)
	}))
	defer imdsServer.Close()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imdsServer.URL)

	_, err := NewClients(context.Background(), ClientOptions{Region: "us-east-1", EndpointURL: "http://127.0.0.1:1"})
	var ce *CredentialsError
	if !errors.As(err, &ce) {
		t.Fatalf("NewClients without credentials: %v (%T); want a *CredentialsError", err, err)
	}
	// One token request and one role request; the SDK's default would
	// make three of each.
	if n := requests.Load(); n == 0 || n > 2 {
		t.Errorf("the metadata service got %d requests; want 1 or 2 (no retries)", n)
	}
}

// Proves: CloudWatch speaks AWS Query, which emulators route, to any
// endpoint of the user's: --endpoint-url, and the SDK's own
// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_CLOUDWATCH; and its default (RPC v2
// CBOR) when no endpoint is set.
func TestCloudWatchSpeaksQueryToAnyCustomEndpoint(t *testing.T) {
	var contentType atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		contentType.Store(r.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusBadRequest)
	}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name string
		env  string
		opts ClientOptions
	}{
		{"--endpoint-url", "", ClientOptions{EndpointURL: srv.URL}},
		{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL", ClientOptions{}},
		{"AWS_ENDPOINT_URL_CLOUDWATCH", "AWS_ENDPOINT_URL_CLOUDWATCH", ClientOptions{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolateAWSConfig(t)
			t.Setenv("AWS_REGION", "eu-west-1")
			t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH", "")
			if tc.env != "" {
				t.Setenv(tc.env, srv.URL)
			}
			clients, err := NewClients(context.Background(), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			contentType.Store("")
			_, _ = clients.CloudWatch.DescribeAlarms(context.Background(), nil, func(o *cloudwatch.Options) { o.RetryMaxAttempts = 1 })
			if got := contentType.Load(); got != "application/x-www-form-urlencoded" {
				t.Errorf("CloudWatch sent Content-Type %q; want AWS Query's application/x-www-form-urlencoded", got)
			}
		})
	}
	isolateAWSConfig(t)
	t.Setenv("AWS_REGION", "eu-west-1")
	clients, err := NewClients(context.Background(), ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := clients.CloudWatch.Options().Protocol.(*awsquery.Protocol); ok {
		t.Error("CloudWatch speaks Query to AWS itself; want the SDK's default")
	}
}
