package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// Proves, end to end through the binary against moto: with named
// environments in one config file, a deploy to staging records a release,
// and promote --from staging --to prod deploys prod's stack with staging's
// image pinned by the digest ECR reports, and with prod's own layer
// (its task count); a source without a release history, and bad flags and
// settings, are refused before anything is created (bad settings before
// the source is even read).
func TestPromoteAgainstMoto(t *testing.T) {
	m, n, cf := onSharedMoto(t)
	refs, digests := ecrImages(t, m, "promo", "v7")

	config := filepath.Join(t.TempDir(), "app.yaml")
	body := "name: promo\nimage: " + refs["v7"] + "\nvpc-id: " + n.VpcID +
		"\npublic-subnets: " + strings.Join(n.PublicSubnets, ",") + "\nprivate-subnets: " + strings.Join(n.PrivateSubnets, ",") +
		"\ncertificate-arn: " + n.CertificateArn + "\nenvironments:\n  staging:\n    dedicated-alb: true\n  prod:\n    dedicated-alb: true\n    desired-count: 2\n"
	if err := os.WriteFile(config, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	parameter := func(stackName, key string) string {
		t.Helper()
		out := m.Query(t, "cloudformation", "DescribeStacks", url.Values{"StackName": {stackName}})
		keys, values := testenv.XMLValues(out, "ParameterKey"), testenv.XMLValues(out, "ParameterValue")
		for i := range keys {
			if keys[i] == key && i < len(values) {
				return values[i]
			}
		}
		return ""
	}

	code, stdout, stderr := cf.run("promote", "--config", config, "--from", "staging", "--to", "prod")
	if code != deploy.ExitFailure || !strings.Contains(stderr, "stack promo-staging has no release history") {
		t.Errorf("promote before any release: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if code, _, stderr := cf.run("promote", "--config", config, "--from", "staging", "--to", "staging"); code != deploy.ExitInput || !strings.Contains(stderr, "--to: is staging, the same environment as --from") {
		t.Errorf("promote to itself: exit %d, stderr %s", code, stderr)
	}

	if code, _, stderr := cf.run("promote", "--config", config, "--from", "staging", "--to", "prod", "--cpu", "3"); code != deploy.ExitInput ||
		!strings.Contains(stderr, "--cpu") || strings.Contains(stderr, "release history") {
		t.Errorf("promote with a bad setting: exit %d, stderr %s; want the setting refused before the source is read", code, stderr)
	}

	code, stdout, stderr = cf.run("deploy", "--config", config, "--environment", "staging")
	if code != 0 || !strings.Contains(stdout, "CREATE_COMPLETE") {
		t.Fatalf("deploy staging: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = cf.run("promote", "--config", config, "--from", "staging", "--to", "prod")
	if code != 0 || !strings.Contains(stdout, "CREATE_COMPLETE") {
		t.Fatalf("promote: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	pinned := strings.SplitN(refs["v7"], ":", 2)[0]
	if i := strings.LastIndex(refs["v7"], ":"); i > 0 {
		pinned = refs["v7"][:i]
	}
	pinned += "@" + digests["v7"]
	if got := parameter("promo-prod", "ContainerImage"); got != pinned {
		t.Errorf("prod's image is %q; want staging's pinned by ECR's digest, %q", got, pinned)
	}
	if got, want := parameter("promo-prod", "DesiredCount"), "2"; got != want {
		t.Errorf("prod's DesiredCount is %q; want prod's layer's %s", got, want)
	}
	if got := parameter("promo-staging", "DesiredCount"); got != "1" {
		t.Errorf("staging's DesiredCount is %q after the promotion; want its own 1", got)
	}
}
