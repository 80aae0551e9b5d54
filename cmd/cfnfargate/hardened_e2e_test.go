package main

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/operate"
)

// Proves, end to end through the binary against moto, that a hardened
// deploy and the remembered settings of issue 20 go together: the create's
// plan names what --hardened gives, with "(hardened)", and its release
// records those values as hardened's; a later plan of a new image names
// the image only and keeps the stack hardened; and with --hardened=false
// the values hardened gave go back to their defaults, which the plan says.
func TestHardenedRememberedAgainstMoto(t *testing.T) {
	_, n, cf := onSharedMoto(t)
	network := append([]string{"--stack", "hardened-a"}, n.Flags()...)
	run := cf.mustRun

	stdout, _ := run(append(append([]string{"deploy"}, network...), "--image", "nginx:1.27", "--hardened", "--user", "1000", "--container-port", "8080")...)
	for _, want := range []string{"+ Setting hardened: true (flag)", "+ Setting log-retention-days: 365 (hardened)", "+ Setting read-only-root-fs: true (hardened)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the plan of the create lacks %q:\n%s", want, stdout)
		}
	}
	stdout, _ = run("history", "--stack", "hardened-a", "--json")
	var releases []operate.Release
	if err := json.Unmarshal([]byte(stdout), &releases); err != nil || len(releases) != 1 {
		t.Fatalf("history --json: %v\n%s", err, stdout)
	}
	if got := releases[0].Sources[stack.KeyLogRetentionDays]; got != originHardened {
		t.Errorf("release 1 records log-retention-days as from %q, want %q", got, originHardened)
	}

	stdout, _ = run(append(append([]string{"diff"}, network...), "--image", "nginx:1.28")...)
	if strings.Count(stdout, "Setting ") != 1 || !strings.Contains(stdout, "~ Setting image: nginx:1.27 → nginx:1.28 (flag)") || strings.Contains(stdout, "HttpListener") {
		t.Errorf("the plan of an image bump names other settings than the image, or a change to the listeners:\n%s", stdout)
	}

	stdout, _ = run(append(append([]string{"diff"}, network...), "--hardened=false")...)
	for _, want := range []string{"~ Setting hardened: true → false (flag)", "~ Setting log-retention-days: 365 → 30 (default, as hardened is off)",
		"~ Setting deletion-protection: true → false (default, as hardened is off)", "HttpListener"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the plan of --hardened=false lacks %q:\n%s", want, stdout)
		}
	}
}

// Proves that a hardened deploy never takes the default VPC's public
// subnets for its tasks, as a deploy that is not hardened does there: in
// a region whose default VPC has public subnets only (as AWS makes it), a
// new hardened stack given a certificate and no network is exit 2, naming
// --private-subnets, --public-tasks and why, with nothing on stdout and no
// stack created. A hardened environment without a certificate is exit 2
// too.
func TestHardenedInADefaultVPCAgainstMoto(t *testing.T) {
	testenv.SkipIfShort(t, "starts moto_server and builds the binary")
	t.Parallel()
	m := testenv.SharedMoto(t)
	const region = "eu-north-1"
	vpc := m.DefaultVPC(t, region)
	var cert struct{ CertificateArn string }
	m.JSONIn(t, region, "acm", "RequestCertificate", map[string]any{"DomainName": "app.example.com", "ValidationMethod": "DNS"}, &cert)
	cf := motoBinary(t, m)

	code, stdout, stderr := cf.run("deploy", "--region", region, "--stack", "hardened-default-vpc", "--image", "nginx:1.27",
		"--hardened", "--user", "1000", "--container-port", "8080", "--certificate-arn", cert.CertificateArn)
	for _, want := range []string{
		"--private-subnets: the default VPC " + vpc.VpcID + " has no private subnet with a route out",
		"--hardened runs the tasks without public IPs (ECS.2): give private subnets with a route out (a NAT gateway or VPC endpoints), or --public-tasks to break that control",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code != deploy.ExitInput || stdout != "" {
		t.Errorf("exit %d, stdout:\n%s\nwant exit 2 and nothing on stdout", code, stdout)
	}
	if stacks := testenv.XMLValues(m.QueryIn(t, region, "cloudformation", "ListStacks", url.Values{}), "StackName"); len(stacks) > 0 {
		t.Errorf("stacks %v: bad input created one", stacks)
	}

	// An environment's listener is HTTPS whether hardened or not: its
	// template has no HTTP-only mode, and a new one needs a certificate.
	code, stdout, stderr = cf.run("env", "deploy", "--region", region, "--environment", "hz", "--hardened", "--vpc-id", vpc.VpcID,
		"--public-subnets", strings.Join(vpc.PublicSubnets[:2], ","), "--private-subnets", vpc.PublicSubnets[2])
	if code != deploy.ExitInput || stdout != "" || !strings.Contains(stderr, "--certificate-arn: parameter CertificateArn is required") {
		t.Errorf("env deploy --hardened without a certificate: exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit 2 naming --certificate-arn", code, stdout, stderr)
	}
	if stacks := testenv.XMLValues(m.QueryIn(t, region, "cloudformation", "ListStacks", url.Values{}), "StackName"); len(stacks) > 0 {
		t.Errorf("stacks %v: bad input created one", stacks)
	}
}
