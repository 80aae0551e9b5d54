package testenv

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) { os.Exit(RunTests(m)) }

// recordingTB stands in for a test so we can observe how a helper ends it.
// Like the real thing, Skipf and Fatalf stop the calling goroutine.
type recordingTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// record runs fn against a recordingTB on its own goroutine, so a Goexit
// from Skipf or Fatalf ends only that goroutine.
func record(t *testing.T, fn func(tb testing.TB)) *recordingTB {
	rec := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(rec)
	}()
	<-done
	return rec
}

// TestRequire proves a missing tool skips the test on a developer machine,
// fails it under CI=true, and that both messages say how to install it.
func TestRequire(t *testing.T) {
	tests := []struct {
		name        string
		tool        string
		ci          string
		emptyPATH   bool
		wantSkip    bool
		wantFail    bool
		wantMessage []string
	}{
		{name: "present tool returns its path", tool: "sh"},
		{name: "present tool under CI returns its path", tool: "sh", ci: "true"},
		{
			name: "missing cfn-lint skips", tool: "cfn-lint", emptyPATH: true, wantSkip: true,
			wantMessage: []string{`"cfn-lint"`, "pip install cfn-lint", "CI=true"},
		},
		{
			name: "missing moto_server skips", tool: "moto_server", emptyPATH: true, wantSkip: true,
			wantMessage: []string{`"moto_server"`, "pip install 'moto[server]'"},
		},
		{
			name: "missing aws fails under CI=true", tool: "aws", ci: "true", emptyPATH: true, wantFail: true,
			wantMessage: []string{`CI=true: required tool "aws" not found on PATH`, "pip install awscli"},
		},
		{
			name: "CI must be exactly true to fail", tool: "cfn-lint", ci: "1", emptyPATH: true, wantSkip: true,
			wantMessage: []string{"pip install cfn-lint"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			// These skips are staged: keep them out of make test's list of
			// tools that are really missing.
			t.Setenv(SkippedToolsEnv, "")
			if tt.emptyPATH {
				t.Setenv("PATH", t.TempDir())
			}
			var got string
			rec := record(t, func(tb testing.TB) { got = Require(tb, tt.tool) })
			if rec.skipped != tt.wantSkip || rec.failed != tt.wantFail {
				t.Fatalf("Require(%q): skipped=%v failed=%v (%q), want skipped=%v failed=%v",
					tt.tool, rec.skipped, rec.failed, rec.msg, tt.wantSkip, tt.wantFail)
			}
			for _, want := range tt.wantMessage {
				if !strings.Contains(rec.msg, want) {
					t.Errorf("Require(%q) message %q does not contain %q", tt.tool, rec.msg, want)
				}
			}
			if !tt.wantSkip && !tt.wantFail && !filepath.IsAbs(got) {
				t.Errorf("Require(%q) = %q, want an absolute path", tt.tool, got)
			}
		})
	}
}

// TestLint proves a clean template passes Lint, and that cfn-lint's warnings
// and errors both come back as findings from LintOutput.
func TestLint(t *testing.T) {
	t.Parallel()
	SkipIfShort(t, "runs cfn-lint")
	Require(t, "cfn-lint")
	tests := []struct {
		name     string
		template string
		wantRule string // "" means the template must be clean
	}{
		{
			name: "clean template has no findings",
			template: `AWSTemplateFormatVersion: "2010-09-09"
Description: Smallest clean template.
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: 7
`,
		},
		{
			name: "unused parameter is a warning",
			template: `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Unused:
    Type: String
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
`,
			wantRule: "W2001",
		},
		{
			name: "invalid retention is an error",
			template: `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: 8
`,
			wantRule: "E3030",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "template.yaml")
			if err := os.WriteFile(path, []byte(tt.template), 0o644); err != nil {
				t.Fatal(err)
			}
			if tt.wantRule == "" {
				Lint(t, path)
				return
			}
			report, err := LintOutput(path)
			if err == nil {
				t.Errorf("LintOutput: nil error, want findings")
			}
			if !strings.Contains(report, tt.wantRule) {
				t.Errorf("LintOutput report does not mention %s:\n%s", tt.wantRule, report)
			}
		})
	}
}

// TestLintOutputNeedsPaths proves LintOutput refuses to run cfn-lint on nothing,
// which would otherwise lint whatever cfn-lint finds by default.
func TestLintOutputNeedsPaths(t *testing.T) {
	if _, err := LintOutput(); err == nil {
		t.Fatal("LintOutput(): nil error, want one")
	}
}

// TestStartMotoSeedAndStop proves StartMoto brings up a moto that only
// listens on 127.0.0.1, that Seed leaves the VPC, subnets and certificate in
// it, and that Stop removes the process. It stops the server, so the server
// is its own.
func TestStartMotoSeedAndStop(t *testing.T) {
	t.Parallel()
	m := StartMoto(t)
	if !strings.HasPrefix(m.Endpoint, "http://127.0.0.1:") || m.Region != "us-east-1" || m.PID <= 0 {
		t.Fatalf("StartMoto = {Endpoint: %q, Region: %q, PID: %d}", m.Endpoint, m.Region, m.PID)
	}
	n := m.Seed(t)

	t.Run("subnets are in the seeded VPC across two AZs", func(t *testing.T) {
		seeded := append(slices.Clone(n.PublicSubnets), n.PrivateSubnets...)
		params := url.Values{}
		for i, id := range seeded {
			params.Set(fmt.Sprintf("SubnetId.%d", i+1), id)
		}
		var resp struct {
			Subnets []struct {
				ID    string `xml:"subnetId"`
				VpcID string `xml:"vpcId"`
				AZ    string `xml:"availabilityZone"`
			} `xml:"subnetSet>item"`
		}
		body := m.Query(t, "ec2", "DescribeSubnets", params)
		if err := xml.Unmarshal(body, &resp); err != nil {
			t.Fatalf("decode DescribeSubnets: %v\n%s", err, body)
		}
		az := map[string]string{}
		for _, s := range resp.Subnets {
			if s.VpcID != n.VpcID {
				t.Errorf("subnet %s is in VPC %s, want %s", s.ID, s.VpcID, n.VpcID)
			}
			az[s.ID] = s.AZ
		}
		got := slices.Sorted(func(yield func(string) bool) {
			for id := range az {
				if !yield(id) {
					return
				}
			}
		})
		if want := slices.Sorted(slices.Values(seeded)); !slices.Equal(got, want) {
			t.Fatalf("DescribeSubnets returned %q, want %q", got, want)
		}
		for _, group := range [][]string{n.PublicSubnets, n.PrivateSubnets} {
			if len(group) != 2 || az[group[0]] != "us-east-1a" || az[group[1]] != "us-east-1b" {
				t.Errorf("subnets %q are in AZs %q, %q; want us-east-1a, us-east-1b", group, az[group[0]], az[group[1]])
			}
		}
	})

	t.Run("VPC exists with the seeded CIDR", func(t *testing.T) {
		body := m.Query(t, "ec2", "DescribeVpcs", url.Values{"VpcId.1": {n.VpcID}})
		if got := XMLValues(body, "vpcId"); !slices.Equal(got, []string{n.VpcID}) {
			t.Errorf("DescribeVpcs vpcId = %q, want [%s]", got, n.VpcID)
		}
		if got := XMLValues(body, "cidrBlock"); !slices.Contains(got, "10.0.0.0/16") {
			t.Errorf("DescribeVpcs cidrBlock = %q, want 10.0.0.0/16", got)
		}
	})

	t.Run("public subnets route to an internet gateway", func(t *testing.T) {
		for _, id := range n.PublicSubnets {
			body := m.Query(t, "ec2", "DescribeRouteTables", url.Values{
				"Filter.1.Name":    {"association.subnet-id"},
				"Filter.1.Value.1": {id},
			})
			if !slices.ContainsFunc(XMLValues(body, "gatewayId"), func(g string) bool { return strings.HasPrefix(g, "igw-") }) {
				t.Errorf("subnet %s has no route to an internet gateway:\n%s", id, body)
			}
		}
	})

	t.Run("private subnets route to a NAT gateway", func(t *testing.T) {
		for _, id := range n.PrivateSubnets {
			body := m.Query(t, "ec2", "DescribeRouteTables", url.Values{
				"Filter.1.Name":    {"association.subnet-id"},
				"Filter.1.Value.1": {id},
			})
			if !slices.ContainsFunc(XMLValues(body, "natGatewayId"), func(g string) bool { return strings.HasPrefix(g, "nat-") }) {
				t.Errorf("subnet %s has no route to a NAT gateway:\n%s", id, body)
			}
		}
	})

	t.Run("the default VPC gets an internet gateway and a default route, once", func(t *testing.T) {
		const region = "eu-west-3"
		first := m.DefaultVPC(t, region)
		second := m.DefaultVPC(t, region)
		if first.VpcID == "" || first.VpcID != second.VpcID || len(first.PublicSubnets) < 2 {
			t.Fatalf("DefaultVPC = %+v, then %+v; want the same VPC with its default subnets", first, second)
		}
		gateways := XMLValues(m.QueryIn(t, region, "ec2", "DescribeInternetGateways", url.Values{
			"Filter.1.Name": {"attachment.vpc-id"}, "Filter.1.Value.1": {first.VpcID},
		}), "internetGatewayId")
		if len(gateways) != 1 {
			t.Fatalf("the default VPC has internet gateways %q, want one", gateways)
		}
		body := m.QueryIn(t, region, "ec2", "DescribeRouteTables", url.Values{
			"Filter.1.Name": {"vpc-id"}, "Filter.1.Value.1": {first.VpcID},
			"Filter.2.Name": {"association.main"}, "Filter.2.Value.1": {"true"},
		})
		if !slices.Contains(XMLValues(body, "gatewayId"), gateways[0]) || !slices.Contains(XMLValues(body, "destinationCidrBlock"), "0.0.0.0/0") {
			t.Errorf("the main route table has no 0.0.0.0/0 route to %s:\n%s", gateways[0], body)
		}
	})

	t.Run("PushImage and CreateSecrets leave what a deploy reads", func(t *testing.T) {
		uri := m.PushImage(t, "team/web", "1.0")
		m.PushImage(t, "team/web", "1.1") // the repository exists by then
		if !strings.HasSuffix(uri, ".dkr.ecr.us-east-1.amazonaws.com/team/web:1.0") {
			t.Errorf("PushImage = %q", uri)
		}
		var images struct {
			ImageDetails []struct{ ImageTags []string }
		}
		m.JSON(t, "ecr", "DescribeImages", map[string]any{"repositoryName": "team/web"}, &images)
		// The same manifest under two tags is one image, as in ECR.
		if len(images.ImageDetails) != 1 || !slices.Equal(images.ImageDetails[0].ImageTags, []string{"1.0", "1.1"}) {
			t.Errorf("DescribeImages = %+v, want one image tagged 1.0 and 1.1", images)
		}
		const suffixed = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbCdEf:password::"
		renamed := m.CreateSecrets(t, suffixed, "arn:aws:ssm:eu-west-1:123456789012:parameter/app/flags", "PLAIN")
		made, ok := renamed[suffixed]
		if !ok || !strings.HasPrefix(made, "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-") || !strings.HasSuffix(made, ":password::") {
			t.Fatalf("CreateSecrets renamed %v; want the suffixed ARN mapped to moto's, JSON key kept", renamed)
		}
		var secret struct{ Name string }
		m.JSONIn(t, "eu-west-1", "secretsmanager", "DescribeSecret", map[string]string{"SecretId": strings.TrimSuffix(made, ":password::")}, &secret)
		var params struct{ Parameters []struct{ Name string } }
		m.JSONIn(t, "eu-west-1", "ssm", "DescribeParameters", map[string]any{}, &params)
		var plain struct{ Parameters []struct{ Name string } }
		m.JSON(t, "ssm", "DescribeParameters", map[string]any{}, &plain)
		if secret.Name != "app/db" || len(params.Parameters) != 1 || params.Parameters[0].Name != "/app/flags" || len(plain.Parameters) != 1 || plain.Parameters[0].Name != "PLAIN" {
			t.Errorf("secret %+v, parameters %+v in eu-west-1 and %+v in us-east-1; want app/db, /app/flags and PLAIN", secret, params, plain)
		}
	})

	t.Run("certificate is a DNS-validated, issued certificate", func(t *testing.T) {
		var out struct {
			Certificate struct {
				CertificateArn          string
				DomainName              string
				Status                  string
				DomainValidationOptions []struct{ ValidationMethod string }
			}
		}
		m.JSON(t, "acm", "DescribeCertificate", map[string]string{"CertificateArn": n.CertificateArn}, &out)
		c := out.Certificate
		if c.CertificateArn != n.CertificateArn || c.DomainName != "app.example.com" || c.Status != "ISSUED" {
			t.Errorf("DescribeCertificate = %+v, want %s for app.example.com, ISSUED", c, n.CertificateArn)
		}
		if len(c.DomainValidationOptions) != 1 || c.DomainValidationOptions[0].ValidationMethod != "DNS" {
			t.Errorf("DomainValidationOptions = %+v, want one DNS validation", c.DomainValidationOptions)
		}
	})

	t.Run("Stop removes the process and is idempotent", func(t *testing.T) {
		if err := m.Stop(); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if err := syscall.Kill(m.PID, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("kill(%d, 0) after Stop = %v, want ESRCH", m.PID, err)
		}
		if err := m.Stop(); err != nil {
			t.Errorf("second Stop: %v", err)
		}
		client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
		if resp, err := client.Get(m.Endpoint + "/moto-api/"); err == nil {
			resp.Body.Close()
			t.Errorf("moto still answers at %s after Stop", m.Endpoint)
		}
	})
}

// TestStartMotoReportsEarlyExit proves that when moto_server dies on start,
// StartMoto retries and then fails with the tail of moto's own output, which
// is the only clue to why it died.
func TestStartMotoReportsEarlyExit(t *testing.T) {
	bin := t.TempDir()
	fake := "#!/bin/sh\necho \"fake moto: cannot bind $4\" >&2\nexit 3\n"
	if err := os.WriteFile(filepath.Join(bin, "moto_server"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	rec := record(t, func(tb testing.TB) { startOwnMoto(tb) })
	if !rec.failed {
		t.Fatalf("StartMoto with a dying moto_server did not fail (skipped=%v, %q)", rec.skipped, rec.msg)
	}
	for _, want := range []string{"attempt 1:", "attempt 3:", "exited before it was ready", "fake moto: cannot bind"} {
		if !strings.Contains(rec.msg, want) {
			t.Errorf("StartMoto failure message lacks %q:\n%s", want, rec.msg)
		}
	}
}

// TestMotoProtocols proves Query and JSON reach the intended moto backend for
// every service cfnfargate touches. moto routes by the credential scope in
// the Authorization header; a wrong route lands in its S3 backend, whose
// answer (ListAllMyBucketsResult) would not match.
func TestMotoProtocols(t *testing.T) {
	t.Parallel()
	m := SharedMoto(t)
	tests := []struct {
		service, action string
		json            bool
		want            string // XML root element, or top-level JSON key
	}{
		{service: "ec2", action: "DescribeVpcs", want: "DescribeVpcsResponse"},
		{service: "elasticloadbalancing", action: "DescribeLoadBalancers", want: "DescribeLoadBalancersResponse"},
		{service: "iam", action: "ListRoles", want: "ListRolesResponse"},
		{service: "cloudformation", action: "ListStacks", want: "ListStacksResponse"},
		{service: "ecs", action: "ListClusters", json: true, want: "clusterArns"},
		{service: "logs", action: "DescribeLogGroups", json: true, want: "logGroups"},
		{service: "acm", action: "ListCertificates", json: true, want: "CertificateSummaryList"},
	}
	for _, tt := range tests {
		t.Run(tt.service+" "+tt.action, func(t *testing.T) {
			t.Parallel()
			if tt.json {
				var out map[string]json.RawMessage
				m.JSON(t, tt.service, tt.action, nil, &out)
				if _, ok := out[tt.want]; !ok {
					t.Errorf("%s %s answered keys %v, want %q", tt.service, tt.action, slices.Collect(mapKeys(out)), tt.want)
				}
				return
			}
			body := m.Query(t, tt.service, tt.action, nil)
			var root struct{ XMLName xml.Name }
			if err := xml.Unmarshal(body, &root); err != nil || root.XMLName.Local != tt.want {
				t.Errorf("%s %s answered root %q (%v), want %q:\n%s", tt.service, tt.action, root.XMLName.Local, err, tt.want, body)
			}
		})
	}

	t.Run("moto error fails the test with its body", func(t *testing.T) {
		t.Parallel()
		rec := record(t, func(tb testing.TB) {
			m.Query(tb, "ec2", "DescribeSubnets", url.Values{"SubnetId.1": {"subnet-doesnotexist"}})
		})
		if !rec.failed || !strings.Contains(rec.msg, "InvalidSubnetID.NotFound") {
			t.Errorf("Query on a missing subnet: failed=%v message %q, want a failure naming InvalidSubnetID.NotFound", rec.failed, rec.msg)
		}
	})
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestMotoEnvDrivesAWSCLI proves a subprocess run with Env talks to moto and
// ignores the developer's own AWS settings, including a profile that does
// not exist and a per-service endpoint override.
func TestMotoEnvDrivesAWSCLI(t *testing.T) {
	SkipIfShort(t, "starts moto_server and the aws CLI")
	aws := Require(t, "aws")
	t.Setenv("AWS_PROFILE", "profile-that-does-not-exist")
	t.Setenv("AWS_SESSION_TOKEN", "stale-token")
	// 192.0.2.0/24 is TEST-NET-1: were the override kept, the call would fail.
	t.Setenv("AWS_ENDPOINT_URL_EC2", "http://192.0.2.1:1")
	m := SharedMoto(t)

	env := m.Env()
	for _, want := range []string{
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_ENDPOINT_URL=" + m.Endpoint,
		"AWS_EC2_METADATA_DISABLED=true",
	} {
		if !slices.Contains(env, want) {
			t.Errorf("Env() lacks %s", want)
		}
	}
	for _, kv := range env {
		for _, banned := range []string{"AWS_PROFILE=", "AWS_SESSION_TOKEN=", "AWS_ENDPOINT_URL_EC2="} {
			if strings.HasPrefix(kv, banned) {
				t.Errorf("Env() keeps %s", kv)
			}
		}
	}

	vpc := XMLValues(m.Query(t, "ec2", "CreateVpc", url.Values{"CidrBlock": {"10.1.0.0/16"}}), "vpcId")
	if len(vpc) != 1 {
		t.Fatalf("CreateVpc vpcId = %q, want one", vpc)
	}
	cmd := exec.Command(aws, "ec2", "describe-vpcs", "--vpc-ids", vpc[0], "--output", "json")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws ec2 describe-vpcs: %v\n%s", err, out)
	}
	var resp struct{ Vpcs []struct{ VpcId string } }
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("decode aws output: %v\n%s", err, out)
	}
	if len(resp.Vpcs) != 1 || resp.Vpcs[0].VpcId != vpc[0] {
		t.Errorf("aws ec2 describe-vpcs = %s, want only %s", out, vpc[0])
	}
}

// TestXMLValues proves XMLValues finds elements by local name at any depth,
// ignores namespaces, and returns what it found before malformed XML.
func TestXMLValues(t *testing.T) {
	tests := []struct {
		name, body, element string
		want                []string
	}{
		{
			name:    "all matches in document order",
			body:    `<R xmlns="http://example.com/doc"><A><LoadBalancerArn>arn:1</LoadBalancerArn></A><A><LoadBalancerArn> arn:2 </LoadBalancerArn></A></R>`,
			element: "LoadBalancerArn",
			want:    []string{"arn:1", "arn:2"},
		},
		{name: "no match", body: `<R><A>x</A></R>`, element: "B", want: nil},
		{name: "empty element", body: `<R><A/></R>`, element: "A", want: []string{""}},
		{
			name:    "nested match keeps only direct text",
			body:    `<R><item>outer<item>inner</item></item></R>`,
			element: "item",
			want:    []string{"inner", "outer"},
		},
		{name: "malformed XML keeps earlier values", body: `<R><A>1</A><A>2</B>`, element: "A", want: []string{"1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := XMLValues([]byte(tt.body), tt.element); !slices.Equal(got, tt.want) {
				t.Errorf("XMLValues(%q) = %q, want %q", tt.element, got, tt.want)
			}
		})
	}
}

// TestRequireRecordsSkips proves a skipped tool is written to the file
// `make test` reads for its closing line, and a present one is not.
func TestRequireRecordsSkips(t *testing.T) {
	file := filepath.Join(t.TempDir(), "skipped")
	t.Setenv(SkippedToolsEnv, file)
	t.Setenv("CI", "") // under CI=true a missing tool fails instead
	t.Run("missing", func(t *testing.T) { Require(t, "cfnfargate-no-such-tool") })
	t.Run("present", func(t *testing.T) { Require(t, "go") })
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(data); got != "cfnfargate-no-such-tool (see the tool's documentation)\n" {
		t.Errorf("skipped-tools file = %q", got)
	}
}

// sharedChildEnv makes TestSharedMotoStopsWithTheBinary, run again as a child
// test binary, the child's side of the test.
const sharedChildEnv = "CFNFARGATE_TESTENV_SHARED_CHILD"

// TestSharedMotoStopsWithTheBinary proves SharedMoto gives every caller in a
// test binary the same server, and that RunTests stops it by its PID when the
// binary's tests are done: it runs this test binary again as a child that
// asks twice and prints the PID, then finds that process gone.
func TestSharedMotoStopsWithTheBinary(t *testing.T) {
	if os.Getenv(sharedChildEnv) == "1" {
		a, b := SharedMoto(t), SharedMoto(t)
		if a != b {
			t.Fatalf("two SharedMoto calls gave two servers: pids %d and %d", a.PID, b.PID)
		}
		fmt.Printf("shared moto pid %d\n", a.PID)
		return
	}
	SkipIfShort(t, "starts moto_server in a child test binary")
	Require(t, "moto_server")
	t.Parallel()
	child := exec.Command(os.Args[0], "-test.run=^TestSharedMotoStopsWithTheBinary$", "-test.v", "-test.count=1")
	child.Env = append(os.Environ(), sharedChildEnv+"=1")
	out, err := child.CombinedOutput()
	pid := 0
	scanner := bufio.NewScanner(strings.NewReader(string(out)))
	for scanner.Scan() {
		if rest, ok := strings.CutPrefix(scanner.Text(), "shared moto pid "); ok {
			pid, _ = strconv.Atoi(rest)
		}
	}
	if err != nil || pid <= 0 {
		t.Fatalf("child test binary: %v, shared moto pid %d\n%s", err, pid, out)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		syscall.Kill(-pid, syscall.SIGKILL) // do not leave it running
		t.Errorf("kill(%d, 0) after the child binary exited = %v, want ESRCH: RunTests left the shared moto_server running\n%s", pid, err, out)
	}
}
