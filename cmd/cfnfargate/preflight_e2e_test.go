package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// TestFirstDeployInADefaultVPC proves the shortest first deploy works in
// an account with a default VPC (issue 20, trial A1 and A2): in a region
// no other test uses, deploy --stack a --image nginx:1.27 creates the
// stack in the default VPC, with the load balancer in its public subnets,
// the tasks there with public IPs (it has no private subnet), HTTP only
// (no certificate), each choice on a line of stderr, and a note that
// traffic is not encrypted. A later diff of a new image keeps the network:
// it names no choice again, and plans only the image.
func TestFirstDeployInADefaultVPC(t *testing.T) {
	testenv.SkipIfShort(t, "starts moto_server and builds the binary")
	t.Parallel()
	m := testenv.SharedMoto(t)
	const region = "eu-west-3"
	vpc := m.DefaultVPC(t, region)
	cf := motoBinary(t, m)

	code, stdout, stderr := cf.run("deploy", "--region", region, "--stack", "a", "--image", "nginx:1.27")
	if code != 0 || !strings.Contains(stdout, "CREATE_COMPLETE") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"cfnfargate: no --vpc-id or subnets given: using the default VPC " + vpc.VpcID + " of " + region + "\n",
		"cfnfargate: the load balancer in the VPC's public subnets subnet-",
		"cfnfargate: the tasks in the public subnets, with public IPs (--public-tasks): no subnet of the VPC has a route out through a NAT gateway or VPC endpoints\n",
		"cfnfargate: no certificate: the load balancer serves HTTP only, and traffic to it is not encrypted. To add HTTPS, deploy again with --certificate-arn",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	params := map[string]string{}
	body := m.QueryIn(t, region, "cloudformation", "DescribeStacks", url.Values{"StackName": {"a"}})
	keys, values := testenv.XMLValues(body, "ParameterKey"), testenv.XMLValues(body, "ParameterValue")
	for i := range keys {
		if i < len(values) {
			params[keys[i]] = values[i]
		}
	}
	if params["VpcId"] != vpc.VpcID || params["AssignPublicIp"] != "ENABLED" || params["CertificateArn"] != "" ||
		params["PublicSubnetIds"] == "" || params["PrivateSubnetIds"] != params["PublicSubnetIds"] || params["ContainerImage"] != "nginx:1.27" {
		t.Errorf("stack parameters = %v; want the default VPC, public tasks, the private list repeating the public one, no certificate", params)
	}

	// moto fails an executed update that keeps a List<> parameter (see
	// the README's moto limits), so the later deploy is shown by diff.
	code, stdout, stderr = cf.run("diff", "--region", region, "--stack", "a", "--image", "nginx:1.28")
	if code != 0 || !strings.Contains(stdout, "~ Setting image: nginx:1.27 → nginx:1.28 (flag)") ||
		strings.Contains(stdout, "VpcId") || strings.Contains(stdout, "SubnetIds") || strings.Contains(stderr, "default VPC") {
		t.Errorf("a later diff: exit %d\nstdout:\n%s\nstderr:\n%s\nwant the image changed and the network kept, without choosing again", code, stdout, stderr)
	}
}

// TestPreflightRefusesWhatAWSWouldFailLater proves the mistakes of the
// newcomer trial that AWS finds minutes into a deploy are bad input now
// (exit 2, nothing created), each with what to do: a subnet of another VPC
// (E1), a certificate that does not exist (E2) and a secret that does not
// exist (D5). A read the credentials may not make is only a warning, and
// the deploy goes on; moto allows every call, so a proxy in front of it
// answers ec2:DescribeRouteTables as AWS answers a caller without the
// permission: a simulation.
func TestPreflightRefusesWhatAWSWouldFailLater(t *testing.T) {
	testenv.SkipIfShort(t, "starts moto_server and builds the binary")
	t.Parallel()
	m := testenv.SharedMoto(t)
	n := m.Seed(t)
	other := testenv.XMLValues(m.Query(t, "ec2", "CreateVpc", url.Values{"CidrBlock": {"10.9.0.0/16"}}), "vpcId")[0]
	otherSubnet := testenv.XMLValues(m.Query(t, "ec2", "CreateSubnet", url.Values{
		"VpcId": {other}, "CidrBlock": {"10.9.0.0/24"}, "AvailabilityZone": {"us-east-1a"}}), "subnetId")[0]
	cf := motoBinary(t, m)
	network := func(private string, certificate string) []string {
		return []string{"--vpc-id", n.VpcID, "--public-subnets", strings.Join(n.PublicSubnets, ","),
			"--private-subnets", private, "--certificate-arn", certificate}
	}
	missingCertificate := n.CertificateArn[:strings.LastIndex(n.CertificateArn, "/")+1] + "00000000-0000-0000-0000-000000000000"
	tests := []struct {
		name  string
		stack string
		args  []string
		want  string
	}{
		{"a subnet of another VPC", "bad-subnet", network(otherSubnet+","+n.PrivateSubnets[1], n.CertificateArn),
			"--private-subnets: subnet " + otherSubnet + " is in VPC " + other + ", not in VPC " + n.VpcID},
		{"a certificate that does not exist", "bad-certificate", network(strings.Join(n.PrivateSubnets, ","), missingCertificate),
			"--certificate-arn: certificate " + missingCertificate + " does not exist in ACM in us-east-1"},
		{"a secret that does not exist", "bad-secret", append(network(strings.Join(n.PrivateSubnets, ","), n.CertificateArn),
			"--secret", "DB_PASSWORD=arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"),
			"--secret: DB_PASSWORD: secret arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf does not exist in Secrets Manager in us-east-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := cf.run(append([]string{"deploy", "--stack", tt.stack, "--image", "nginx:1.27"}, tt.args...)...)
			if code != deploy.ExitInput || !strings.Contains(stderr, "cfnfargate: invalid input:\n") || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and %q", code, stderr, tt.want)
			}
			if stacks := testenv.XMLValues(m.Query(t, "cloudformation", "ListStacks", nil), "StackName"); strings.Contains(strings.Join(stacks, " "), tt.stack) {
				t.Errorf("stacks %v: bad input created %s", stacks, tt.stack)
			}
		})
	}

	t.Run("a denied read is a warning", func(t *testing.T) {
		proxy := denyingProxy(t, m.Endpoint, "DescribeRouteTables")
		code, stdout, stderr := cf.run(append([]string{"deploy", "--stack", "denied-read", "--image", "nginx:1.27", "--endpoint-url", proxy},
			network(strings.Join(n.PrivateSubnets, ","), n.CertificateArn)...)...)
		if code != 0 || !strings.Contains(stdout, "CREATE_COMPLETE") ||
			!strings.Contains(stderr, "cfnfargate: warning: could not check the route tables: the credentials may not call ec2:DescribeRouteTables; the deploy goes on without this check\n") {
			t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s\nwant the deploy to go on with a warning naming ec2:DescribeRouteTables", code, stdout, stderr)
		}
	})
}

// denyingProxy forwards every request to target (moto) on 127.0.0.1,
// except the EC2 action denied, which it answers as EC2 answers a caller
// without the permission: HTTP 403, UnauthorizedOperation (EC2 API
// reference, "Error codes for the Amazon EC2 API").
func denyingProxy(t *testing.T, target, denied string) string {
	return refusingProxy(t, target, denied, http.StatusForbidden, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>UnauthorizedOperation</Code>`+
		`<Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>simulated</RequestID></Response>`)
}

// queryErrorBody is the error answer of an AWS Query API (CloudFormation,
// CloudWatch): an ErrorResponse with the code and message.
func queryErrorBody(code, message string) string {
	return `<ErrorResponse><Error><Type>Sender</Type><Code>` + code + `</Code><Message>` + message + `</Message></Error><RequestId>simulated</RequestId></ErrorResponse>`
}

// refusingProxy forwards every request to target (moto) on 127.0.0.1,
// except those of the query action refused, which it answers with status
// and body: a simulation of what moto cannot produce.
func refusingProxy(t *testing.T, target, refused string, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if form, _ := url.ParseQuery(string(in)); form.Get("Action") == refused {
			w.WriteHeader(status)
			io.WriteString(w, body)
			return
		}
		forward(w, r, target, in)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestEveryProblemInOneRoundAgainstMoto proves (review1920 item 1,
// through the binary against moto) that a run reports its problems in
// one list, the settings' with the account's, so that a second run finds
// nothing new: also without a stack name, and in diff. Each names the
// source of its value (item 4): the flag, the config file's key and line,
// the CFNFARGATE_ variable. A secret read through
// /aws/reference/secretsmanager/ is checked (item 5), and a rollback
// alarm that does not exist is bad input naming it, and only it (item 6).
// Nothing is created, and stdout stays empty.
func TestEveryProblemInOneRoundAgainstMoto(t *testing.T) {
	testenv.SkipIfShort(t, "starts moto_server and builds the binary")
	t.Parallel()
	m := testenv.SharedMoto(t)
	n := m.Seed(t)
	other := testenv.XMLValues(m.Query(t, "ec2", "CreateVpc", url.Values{"CidrBlock": {"10.8.0.0/16"}}), "vpcId")[0]
	otherSubnet := testenv.XMLValues(m.Query(t, "ec2", "CreateSubnet", url.Values{
		"VpcId": {other}, "CidrBlock": {"10.8.0.0/24"}, "AvailabilityZone": {"us-east-1a"}}), "subnetId")[0]
	m.Query(t, "monitoring", "PutMetricAlarm", url.Values{"AlarmName": {"one-round-5xx"}, "Namespace": {"AWS/ApplicationELB"},
		"MetricName": {"HTTPCode_Target_5XX_Count"}, "Statistic": {"Sum"}, "Period": {"60"}, "EvaluationPeriods": {"1"},
		"Threshold": {"1"}, "ComparisonOperator": {"GreaterThanOrEqualToThreshold"}})
	cf := motoBinary(t, m)
	network := n.Flags()
	config := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(config, []byte("stack: one-round-d\nimage: nginx:1.27\nsecret:\n  DB: /one-round/missing\nrollback-alarm: [one-round-latency]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	withVariable := cf
	withVariable.env = append(slices.Clone(cf.env), "CFNFARGATE_SECRET=API_KEY=/one-round/api-key")
	tests := []struct {
		name    string
		bin     binary
		args    []string
		want    []string
		notWant string
	}{
		{"a bad value and a missing secret", cf, append([]string{"deploy", "--stack", "one-round-a", "--image", "nginx:1.27", "--cpu", "300", "--secret", "DB=/one-round/missing"}, network...),
			[]string{"--cpu: 300 is not allowed", "--secret: DB: SSM parameter /one-round/missing does not exist in us-east-1"}, ""},
		{"no stack name, a subnet of another VPC and a missing secret", cf, []string{"deploy", "--image", "nginx:1.27", "--secret", "DB=/one-round/missing",
			"--vpc-id", n.VpcID, "--public-subnets", strings.Join(n.PublicSubnets, ","), "--private-subnets", otherSubnet + "," + n.PrivateSubnets[1], "--certificate-arn", n.CertificateArn},
			[]string{"--stack: a stack name is required", "--secret: DB: SSM parameter /one-round/missing does not exist",
				"--private-subnets: subnet " + otherSubnet + " is in VPC " + other + ", not in VPC " + n.VpcID}, ""},
		{"diff, with a secret read through SSM's reference to Secrets Manager", cf, append([]string{"diff", "--stack", "one-round-c", "--cpu", "300",
			"--secret", "DB=/aws/reference/secretsmanager/one-round-missing"}, network...),
			[]string{"--cpu: 300 is not allowed", "--secret: DB: secret one-round-missing does not exist in Secrets Manager in us-east-1"}, ""},
		{"the config file's keys", cf, append([]string{"deploy", "--config", config}, network...),
			[]string{"secret in " + config + " line 3: DB: SSM parameter /one-round/missing does not exist",
				"rollback-alarm in " + config + " line 5: alarm one-round-latency does not exist in CloudWatch in us-east-1"}, "--secret"},
		{"a variable", withVariable, append([]string{"deploy", "--stack", "one-round-e", "--image", "nginx:1.27"}, network...),
			[]string{"CFNFARGATE_SECRET: API_KEY: SSM parameter /one-round/api-key does not exist"}, "--secret"},
		{"a rollback alarm that does not exist", cf, append([]string{"deploy", "--stack", "one-round-f", "--image", "nginx:1.27",
			"--rollback-alarm", "one-round-5xx", "--rollback-alarm", "one-round-latency"}, network...),
			[]string{"--rollback-alarm: alarm one-round-latency does not exist in CloudWatch in us-east-1: ECS would never see it go into ALARM"}, "one-round-5xx does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := tt.bin.run(tt.args...)
			if code != deploy.ExitInput || stdout != "" || strings.Count(stderr, "cfnfargate: invalid input:\n") != 1 {
				t.Errorf("exit %d, stdout %q; want 2, nothing on stdout and one list of problems\nstderr:\n%s", code, stdout, stderr)
			}
			for _, want := range tt.want {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if tt.notWant != "" && strings.Contains(stderr, tt.notWant) {
				t.Errorf("stderr has %q:\n%s", tt.notWant, stderr)
			}
		})
	}
	if got := testenv.XMLValues(m.Query(t, "cloudformation", "ListStacks", nil), "StackName"); strings.Contains(strings.Join(got, " "), "one-round-") {
		t.Errorf("bad input created stacks: %v", got)
	}
}

// TestAlarmsAndChangeSetRefusalsAgainstMoto proves, through the binary
// against moto, that a rollback alarm read the credentials may not make
// is one warning naming cloudwatch:DescribeAlarms, and the deploy goes on
// (review1920 item 6); and that a change set CloudFormation refuses ends
// the run with nothing on stdout but the line saying the change set is
// being made: no deploy-time budget (review1920 polish). moto allows
// every call and accepts the change set, so a proxy in front of it
// answers DescribeAlarms and CreateChangeSet as AWS would: a simulation.
func TestAlarmsAndChangeSetRefusalsAgainstMoto(t *testing.T) {
	testenv.SkipIfShort(t, "starts moto_server and builds the binary")
	t.Parallel()
	m := testenv.SharedMoto(t)
	n := m.Seed(t)
	m.CreateECSRole(t)
	cf := motoBinary(t, m)
	network := n.Flags()

	proxy := refusingProxy(t, m.Endpoint, "DescribeAlarms", http.StatusForbidden,
		queryErrorBody("AccessDenied", "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: cloudwatch:DescribeAlarms"))
	code, stdout, stderr := cf.run(append([]string{"deploy", "--stack", "alarms-denied", "--image", "nginx:1.27", "--rollback-alarm", "alarms-denied-5xx",
		"--endpoint-url", proxy}, network...)...)
	const warning = "cfnfargate: warning: could not check the rollback alarms: the credentials may not call cloudwatch:DescribeAlarms; the deploy goes on without this check\n"
	if code != 0 || !strings.Contains(stdout, "CREATE_COMPLETE") || strings.Count(stderr, warning) != 1 {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s\nwant the deploy to go on, with one warning naming cloudwatch:DescribeAlarms", code, stdout, stderr)
	}

	proxy = refusingProxy(t, m.Endpoint, "CreateChangeSet", http.StatusBadRequest,
		queryErrorBody("ValidationError", "Template error: simulated refusal of the change set"))
	code, stdout, stderr = cf.run(append([]string{"deploy", "--stack", "refused-change-set", "--image", "nginx:1.27", "--endpoint-url", proxy}, network...)...)
	if code != deploy.ExitFailure || !strings.Contains(stderr, "simulated refusal") || strings.Contains(stdout, "Deploy-time budget") ||
		strings.Count(stdout, "\n") != 1 || !strings.Contains(stdout, "Creating a change set for stack refused-change-set") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit 1 and only the line that the change set is being made on stdout", code, stdout, stderr)
	}
}

// TestKeptValuesAgainstMoto proves, through the binary against moto, what
// a stack keeps: a secret kept from a release and gone since is named as
// kept from that release (review1920 item 4); a stack of the quick start
// (public tasks, in the default VPC) accepts its own network given again,
// the private list repeating the public one, without --public-tasks (item
// 2), and the private subnets it keeps are not checked when public tasks
// move to another VPC (item 3). The default VPC's choices are said only
// for a run that goes ahead (polish). delete names the history it knows of and repeats --region,
// --profile and --endpoint-url in the command that removes it (item 7).
func TestKeptValuesAgainstMoto(t *testing.T) {
	testenv.SkipIfShort(t, "starts moto_server and builds the binary")
	t.Parallel()
	m := testenv.SharedMoto(t)
	n := m.Seed(t)
	m.CreateECSRole(t)
	cf := motoBinary(t, m)
	network := n.Flags()
	run := func(want int, args ...string) (string, string) {
		t.Helper()
		code, stdout, stderr := cf.run(args...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, want, stdout, stderr)
		}
		return stdout, stderr
	}

	t.Run("a secret kept from a release", func(t *testing.T) {
		m.JSON(t, "ssm", "AmazonSSM.PutParameter", map[string]any{"Name": "/kept-secret/db", "Value": "s3cret", "Type": "SecureString"}, nil)
		run(0, append([]string{"deploy", "--stack", "kept-secret", "--image", "nginx:1.27", "--secret", "DB=/kept-secret/db"}, network...)...)
		m.JSON(t, "ssm", "AmazonSSM.DeleteParameter", map[string]any{"Name": "/kept-secret/db"}, nil)
		_, stderr := run(deploy.ExitInput, append([]string{"diff", "--stack", "kept-secret", "--image", "nginx:1.28"}, network...)...)
		if want := "secret, kept from release 1 (give --secret, or --reset secret): DB: SSM parameter /kept-secret/db does not exist in us-east-1"; !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	})

	t.Run("the network of a stack with public tasks", func(t *testing.T) {
		const region = "ca-central-1"
		vpc := m.DefaultVPC(t, region)
		_, stderr := run(deploy.ExitInput, "deploy", "--region", region, "--stack", "kept-net", "--image", "nginx:1.27", "--secret", "DB=/kept-net/missing")
		if !strings.Contains(stderr, "--secret: DB: SSM parameter /kept-net/missing does not exist") || strings.Contains(stderr, "default VPC") {
			t.Errorf("a refused first deploy: stderr:\n%s\nwant the missing secret, and no choice of the default VPC", stderr)
		}
		_, stderr = run(0, "deploy", "--region", region, "--stack", "kept-net", "--image", "nginx:1.27")
		if !strings.Contains(stderr, "cfnfargate: no --vpc-id or subnets given: using the default VPC "+vpc.VpcID) {
			t.Errorf("the first deploy does not say what the default VPC gave:\n%s", stderr)
		}

		body := m.QueryIn(t, region, "cloudformation", "DescribeStacks", url.Values{"StackName": {"kept-net"}})
		keys, values := testenv.XMLValues(body, "ParameterKey"), testenv.XMLValues(body, "ParameterValue")
		subnets := ""
		for i, k := range keys {
			if k == "PublicSubnetIds" {
				subnets = parameterListValue(values[i])
			}
		}
		code, stdout, stderr := cf.run("diff", "--region", region, "--stack", "kept-net", "--vpc-id", vpc.VpcID, "--public-subnets", subnets, "--private-subnets", subnets)
		if code != 0 || strings.Contains(stderr, "either public or private") {
			t.Errorf("the stack's own network, given again: exit %d\nstdout:\n%s\nstderr:\n%s\nwant it accepted: the stack keeps public tasks", code, stdout, stderr)
		}

		// Another VPC, with public subnets in two zones; the stack keeps
		// its private subnets, in the default VPC, which public tasks do
		// not use.
		moved := testenv.XMLValues(m.QueryIn(t, region, "ec2", "CreateVpc", url.Values{"CidrBlock": {"10.7.0.0/16"}}), "vpcId")[0]
		igw := testenv.XMLValues(m.QueryIn(t, region, "ec2", "CreateInternetGateway", nil), "internetGatewayId")[0]
		m.QueryIn(t, region, "ec2", "AttachInternetGateway", url.Values{"InternetGatewayId": {igw}, "VpcId": {moved}})
		routes := testenv.XMLValues(m.QueryIn(t, region, "ec2", "CreateRouteTable", url.Values{"VpcId": {moved}}), "routeTableId")[0]
		m.QueryIn(t, region, "ec2", "CreateRoute", url.Values{"RouteTableId": {routes}, "DestinationCidrBlock": {"0.0.0.0/0"}, "GatewayId": {igw}})
		var public []string
		for i, zone := range []string{"a", "b"} {
			id := testenv.XMLValues(m.QueryIn(t, region, "ec2", "CreateSubnet", url.Values{"VpcId": {moved},
				"CidrBlock": {fmt.Sprintf("10.7.%d.0/24", i)}, "AvailabilityZone": {region + zone}}), "subnetId")[0]
			m.QueryIn(t, region, "ec2", "AssociateRouteTable", url.Values{"RouteTableId": {routes}, "SubnetId": {id}})
			public = append(public, id)
		}
		code, stdout, stderr = cf.run("diff", "--region", region, "--stack", "kept-net", "--vpc-id", moved, "--public-subnets", strings.Join(public, ","), "--public-tasks")
		if code != 0 || strings.Contains(stderr, "--private-subnets") {
			t.Errorf("public tasks moved to another VPC: exit %d\nstdout:\n%s\nstderr:\n%s\nwant the kept private subnets, unused, left alone", code, stdout, stderr)
		}

		// delete, with a profile of a config file of its own.
		awsConfig := filepath.Join(t.TempDir(), "config")
		if err := os.WriteFile(awsConfig, []byte("[profile moto]\naws_access_key_id = testing\naws_secret_access_key = testing\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		withProfile := cf
		withProfile.env = append(slices.Clone(cf.env), "AWS_CONFIG_FILE="+awsConfig)
		code, stdout, stderr = withProfile.run("delete", "--stack", "kept-net", "--yes", "--region", region, "--profile", "moto", "--endpoint-url", m.Endpoint)
		access := "--region " + region + " --profile moto --endpoint-url " + m.Endpoint
		for _, want := range []string{"Its release history (1 release) stays in SSM Parameter Store under /cfnfargate/kept-net/",
			"  aws ssm get-parameters-by-path " + access + " --path /cfnfargate/kept-net/",
			"| xargs -n 10 aws ssm delete-parameters " + access + " --names\n"} {
			if code != 0 || !strings.Contains(stdout, want) {
				t.Errorf("delete: exit %d, stdout lacks %q:\n%s\nstderr:\n%s", code, want, stdout, stderr)
			}
		}
	})
}
