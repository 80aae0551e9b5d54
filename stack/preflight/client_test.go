package preflight

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunTests(m)) }

// noBackoff retries at once, so that a test of retries waits for nothing.
type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

// testConfig is the configuration the CLI would load, for region, with
// static credentials and the standard retryer without its waits.
func testConfig(region string) aws.Config {
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.Backoff = noBackoff{} })
		},
		HTTPClient: &http.Client{Transport: &http.Transport{Proxy: nil}},
	}
}

// TestClientsAgainstMoto proves the hand-written EC2 and Secrets Manager
// clients speak the protocols as AWS documents them, against moto_server:
// the seeded network's subnets, zones and routes read back, a filter on
// subnet IDs leaves out a missing one instead of failing, a secret is
// described, and a missing one (or certificate) is the
// ResourceNotFoundException the checks look for; the checks then find
// nothing wrong with the seeded network, certificate and secret.
func TestClientsAgainstMoto(t *testing.T) {
	m := testenv.SharedMoto(t)
	n := m.Seed(t)
	cfg := testConfig(m.Region)
	ec2 := NewEC2(cfg, m.Endpoint)
	ctx := context.Background()

	subnets, err := ec2.DescribeSubnets(ctx, Filter{Name: "subnet-id", Values: append(slices.Clone(n.PublicSubnets), "subnet-0123456789abcdef0")})
	if err != nil {
		t.Fatal(err)
	}
	var zones []string
	for _, s := range subnets {
		if s.VpcID != n.VpcID {
			t.Errorf("subnet %s is in %s, want %s", s.ID, s.VpcID, n.VpcID)
		}
		zones = append(zones, s.AvailabilityZone)
	}
	slices.Sort(zones)
	if len(subnets) != 2 || !slices.Equal(zones, []string{"us-east-1a", "us-east-1b"}) {
		t.Errorf("DescribeSubnets = %+v, want the two public subnets in us-east-1a and b", subnets)
	}
	routes, err := newRouting(ctx, ec2, m.Region, n.VpcID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range n.PublicSubnets {
		if k := routes.kind(s); k != routeInternet {
			t.Errorf("public subnet %s: route kind %v, want the internet gateway", s, k)
		}
	}
	for _, s := range n.PrivateSubnets {
		if k := routes.kind(s); k != routeOut {
			t.Errorf("private subnet %s: route kind %v, want the NAT gateway", s, k)
		}
	}
	if _, err := ec2.DescribeVpcEndpoints(ctx, Filter{Name: "vpc-id", Values: []string{n.VpcID}}); err != nil {
		t.Errorf("DescribeVpcEndpoints: %v", err)
	}

	acmClient := acm.NewFromConfig(cfg, func(o *acm.Options) { o.BaseEndpoint = aws.String(m.Endpoint) })
	missing := strings.Replace(n.CertificateArn, n.CertificateArn[len(n.CertificateArn)-12:], "000000000000", 1)
	if _, err := acmClient.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(missing)}); !isCode(err, "ResourceNotFoundException") {
		t.Errorf("DescribeCertificate of a missing certificate: %v, want ResourceNotFoundException", err)
	}

	var created struct{ ARN string }
	m.JSON(t, "secretsmanager", "secretsmanager.CreateSecret", map[string]string{"Name": "preflight-db", "SecretString": "s3cret"}, &created)
	sm := NewSecretsManager(cfg, m.Endpoint)
	if s, err := sm.DescribeSecret(ctx, m.Region, created.ARN); err != nil || s.Name != "preflight-db" {
		t.Errorf("DescribeSecret = %+v, %v; want preflight-db", s, err)
	}
	if _, err := sm.DescribeSecret(ctx, m.Region, created.ARN+"x"); !isCode(err, "ResourceNotFoundException") {
		t.Errorf("DescribeSecret of a missing secret: %v, want ResourceNotFoundException", err)
	}

	rep, err := Check(ctx, Clients{EC2: ec2, ACM: acmClient, SecretsManager: sm}, Request{Region: m.Region,
		Network: &Network{VpcID: n.VpcID, PublicSubnets: n.PublicSubnets, PrivateSubnets: n.PrivateSubnets,
			Balancer: stack.ParamPublicSubnetIDs, Tasks: stack.ParamPrivateSubnetIDs},
		Certificates: []CertificateUse{{Field: stack.ParamCertificateArn, ARN: n.CertificateArn, Domain: "app.example.com"}},
		Secrets:      []SecretUse{{Name: "DB", ValueFrom: created.ARN}},
	})
	if err != nil || len(rep.Problems)+len(rep.Warnings) != 0 {
		t.Errorf("the seeded network, certificate and secret: %v\nproblems:\n%s\nwarnings:\n%s", err, findingsText(rep.Problems), findingsText(rep.Warnings))
	}
}

// TestFindDefaultNetworkAgainstMoto proves moto's default VPC, once it has
// the internet gateway and route AWS's has, reads as AWS's does: every
// default subnet public, none private, so the tasks get public IPs.
func TestFindDefaultNetworkAgainstMoto(t *testing.T) {
	m := testenv.SharedMoto(t)
	const region = "ap-southeast-2"
	vpc := m.DefaultVPC(t, region)
	n, err := FindDefaultNetwork(context.Background(), NewEC2(testConfig(region), m.Endpoint), region)
	if err != nil {
		t.Fatal(err)
	}
	if n == nil || n.VpcID != vpc.VpcID || len(n.Public) != len(vpc.PublicSubnets) || len(n.Private) != 0 {
		t.Fatalf("FindDefaultNetwork = %+v; want %s with its %d default subnets public", n, vpc.VpcID, len(vpc.PublicSubnets))
	}
	if c, problems := n.Choose(false, nil); len(problems) != 0 || !c.PublicTasks {
		t.Errorf("Choose = %+v, %v; want public tasks", c, problems)
	}
}

// TestDeniedByProxy proves, against moto behind a proxy that answers one
// action with EC2's UnauthorizedOperation (a simulation: moto grants
// everything), that the denied read is a warning naming the IAM action
// while the other checks still run.
func TestDeniedByProxy(t *testing.T) {
	m := testenv.SharedMoto(t)
	n := m.Seed(t)
	proxy := deniedProxy(t, m.Endpoint, "DescribeRouteTables")
	rep, err := Check(context.Background(), Clients{EC2: NewEC2(testConfig(m.Region), proxy)}, Request{Region: m.Region,
		Network: &Network{VpcID: n.VpcID, PublicSubnets: n.PublicSubnets, PrivateSubnets: []string{n.PrivateSubnets[0]},
			Balancer: stack.ParamPublicSubnetIDs, Tasks: stack.ParamPrivateSubnetIDs}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 0 || len(rep.Warnings) != 2 ||
		!strings.Contains(rep.Warnings[0].Message, "all in us-east-1a") ||
		!strings.Contains(rep.Warnings[1].Message, "may not call ec2:DescribeRouteTables") {
		t.Errorf("problems:\n%s\nwarnings:\n%s\nwant the one-zone warning and one naming ec2:DescribeRouteTables", findingsText(rep.Problems), findingsText(rep.Warnings))
	}
}

// deniedProxy forwards to target, except that it answers the EC2 action
// denied as AWS does to a caller without the permission (EC2 API
// reference, "Error codes": UnauthorizedOperation, HTTP 403). It listens
// on 127.0.0.1 only.
func deniedProxy(t *testing.T, target, denied string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		if form, _ := url.ParseQuery(string(body)); form.Get("Action") == denied {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>simulated</RequestID></Response>`)
			return
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestClientSignsAndRetries proves what the client sends and how it
// treats answers, on a local server: a SigV4 Authorization header scoped
// to the region and service, with the date header it signed; a throttled
// or failing answer is retried as the configuration's retryer says, a
// client error is not, and errors decode into code and message in both
// protocols.
func TestClientSignsAndRetries(t *testing.T) {
	var calls atomic.Int32
	var auth, date, target string
	answers := []func(w http.ResponseWriter){
		func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow down</Message></Error></Errors></Response>`)
		},
		func(w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) },
		func(w http.ResponseWriter) {
			io.WriteString(w, `<DescribeVpcsResponse><vpcSet><item><vpcId>vpc-1</vpcId><isDefault>true</isDefault></item></vpcSet></DescribeVpcsResponse>`)
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1)) - 1
		auth, date, target = r.Header.Get("Authorization"), r.Header.Get("X-Amz-Date"), r.Header.Get("X-Amz-Target")
		if n < len(answers) {
			answers[n](w)
			return
		}
		w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException:http://internal.amazon.com/")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"com.amazonaws.secretsmanager#ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret."}`)
	}))
	defer srv.Close()

	vpcs, err := NewEC2(testConfig("eu-west-1"), srv.URL).DescribeVpcs(context.Background(), Filter{Name: "is-default", Values: []string{"true"}})
	if err != nil || len(vpcs) != 1 || vpcs[0].ID != "vpc-1" || !vpcs[0].IsDefault {
		t.Fatalf("DescribeVpcs = %+v, %v; want vpc-1 after two retries", vpcs, err)
	}
	if calls.Load() != 3 {
		t.Errorf("%d calls, want 3: throttling and a 503 are retried", calls.Load())
	}
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=testing/") || !strings.Contains(auth, "/eu-west-1/ec2/aws4_request") ||
		!strings.Contains(auth, "x-amz-date") || date == "" {
		t.Errorf("Authorization %q, X-Amz-Date %q: want SigV4 for ec2 in eu-west-1, signing the date", auth, date)
	}

	_, err = NewSecretsManager(testConfig("eu-west-1"), srv.URL).DescribeSecret(context.Background(), "eu-west-1", "db")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "ResourceNotFoundException" || apiErr.Message != "Secrets Manager can't find the specified secret." || apiErr.Action != "secretsmanager:DescribeSecret" {
		t.Errorf("DescribeSecret error = %#v", err)
	}
	if calls.Load() != 4 {
		t.Errorf("%d calls, want 4: a client error is not retried", calls.Load())
	}
	if target != "secretsmanager.DescribeSecret" || !strings.Contains(auth, "/eu-west-1/secretsmanager/aws4_request") {
		t.Errorf("X-Amz-Target %q, Authorization %q: want secretsmanager.DescribeSecret signed for secretsmanager", target, auth)
	}
}

// TestEndpoints proves where the clients send requests without
// --endpoint-url: the service's own AWS_ENDPOINT_URL_ variable, then
// AWS_ENDPOINT_URL, then the region's endpoint in its partition.
func TestEndpoints(t *testing.T) {
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "")
	t.Setenv("AWS_ENDPOINT_URL_EC2", "")
	ctx := context.Background()
	for _, tt := range []struct{ region, want string }{
		{"eu-west-1", "https://ec2.eu-west-1.amazonaws.com"},
		{"cn-north-1", "https://ec2.cn-north-1.amazonaws.com.cn"},
		{"us-gov-west-1", "https://ec2.us-gov-west-1.amazonaws.com"},
	} {
		if got, err := newClient(testConfig(tt.region), "").endpointFor(ctx, "ec2", "EC2", tt.region); err != nil || got != tt.want {
			t.Errorf("%s: %q, %v; want %s", tt.region, got, err, tt.want)
		}
	}
	cfg := testConfig("eu-west-1")
	cfg.BaseEndpoint = aws.String("http://127.0.0.1:1")
	if got, _ := newClient(cfg, "").endpointFor(ctx, "ec2", "EC2", "eu-west-1"); got != "http://127.0.0.1:1" {
		t.Errorf("AWS_ENDPOINT_URL: %q", got)
	}
	t.Setenv("AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:2")
	if got, _ := newClient(cfg, "").endpointFor(ctx, "ec2", "EC2", "eu-west-1"); got != "http://127.0.0.1:2" {
		t.Errorf("AWS_ENDPOINT_URL_EC2: %q", got)
	}
	if got, _ := newClient(cfg, "http://127.0.0.1:3").endpointFor(ctx, "ec2", "EC2", "eu-west-1"); got != "http://127.0.0.1:3" {
		t.Errorf("--endpoint-url: %q", got)
	}
}
