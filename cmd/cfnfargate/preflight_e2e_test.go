package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
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
	if code != 0 || !strings.Contains(stdout, "~ Parameter ContainerImage: nginx:1.27 → nginx:1.28") ||
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
	t.Helper()
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if form, _ := url.ParseQuery(string(body)); form.Get("Action") == denied {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>UnauthorizedOperation</Code>`+
				`<Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>simulated</RequestID></Response>`)
			return
		}
		req, err := http.NewRequest(r.Method, target+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		req.Header.Del("Accept-Encoding")
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
