package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// TestMissingCredentials proves, through the built binary as a user runs
// it, that a machine without AWS credentials gets a clear error that says
// how to provide them, with exit status 2, no request sent, and none of the
// SDK's own log lines ("SDK ... WARN ..."). Traffic stays on 127.0.0.1: the
// EC2 metadata service is disabled, or, to draw the SDK's warning, played
// by a local server that knows no role (as on an instance without one).
func TestMissingCredentials(t *testing.T) {
	testenv.SkipIfShort(t, "builds the binary")
	// Its environment is its own (binary.env), so it runs beside others.
	t.Parallel()
	bin := buildBinary(t)
	dir := t.TempDir()
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var cfnRequests, imdsRequests atomic.Int64
	cfn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cfnRequests.Add(1)
		http.Error(w, "no request expected", http.StatusForbidden)
	}))
	defer cfn.Close()
	// IMDS answers 404 to the token request, which makes the SDK warn
	// "falling back to IMDSv1", and to the role request: no role.
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		imdsRequests.Add(1)
		http.NotFound(w, r)
	}))
	defer imds.Close()

	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1"}
	tests := []struct {
		name string
		env  []string
		args []string
		imds bool // the metadata server is asked
	}{
		{"metadata service disabled", []string{"AWS_EC2_METADATA_DISABLED=true"}, nil, false},
		{"metadata service without a role", []string{"AWS_EC2_METADATA_SERVICE_ENDPOINT=" + imds.URL}, nil, true},
		{"with --debug the SDK speaks", []string{"AWS_EC2_METADATA_SERVICE_ENDPOINT=" + imds.URL}, []string{"--debug"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			imdsRequests.Store(0)
			cf := binary{t: t, path: bin, env: append(append([]string{}, base...), tt.env...)}
			code, stdout, stderr := cf.run(append([]string{"status", "--stack", "shop", "--endpoint-url", cfn.URL}, tt.args...)...)
			if code != deploy.ExitInput {
				t.Errorf("exit %d; want %d", code, deploy.ExitInput)
			}
			for _, want := range []string{"no AWS credentials found", "AWS_PROFILE", "aws sso login --profile PROFILE",
				"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			debug := len(tt.args) > 0
			if sdk := strings.Contains(stderr, "WARN"); sdk != debug {
				t.Errorf("SDK log lines in stderr: %v; want %v:\n%s", sdk, debug, stderr)
			}
			if stdout != "" || cfnRequests.Load() != 0 {
				t.Errorf("stdout %q, %d CloudFormation requests; want neither", stdout, cfnRequests.Load())
			}
			if asked := imdsRequests.Load() > 0; asked != tt.imds {
				t.Errorf("metadata service asked: %v; want %v (instance roles must keep working)", asked, tt.imds)
			}
		})
	}
}
