package scenario

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
)

// AWSVariable turns the scenarios on a real account on.
const AWSVariable = "CFNFARGATE_TEST_AWS"

// RunTag is the tag every stack of an AWS run carries, valued with the run
// ID; clean-up finds leftovers by it.
const RunTag = "cfnfargate-test-run"

// awsInstructions is what `make test-aws` prints without the variable.
const awsInstructions = `make test-aws runs cfnfargate's scenario suite (internal/scenario) against a real AWS account.
Nothing ran: set ` + AWSVariable + `=1 to run it. It needs:
  - credentials and a Region, as the AWS CLI takes them (AWS_PROFILE or AWS_ACCESS_KEY_ID..., AWS_REGION);
    an account you can spend on, ideally a sandbox account: it creates load balancers, ECS services,
    Lambda functions, alarms and IAM roles, and needs IAM permissions to do so (AdministratorAccess
    in a sandbox is simplest);
  - a default VPC in the Region (its public subnets carry the load balancers and the tasks, with
    public IPs, so no NAT gateway is needed);
  - about 3 hours, and a few US dollars (the estimate is printed before anything is created).
It imports a self-signed certificate into ACM for the HTTPS listeners, tags every stack with
` + RunTag + `=RUN-ID, and deletes everything it created at the end, also when a step fails or on
Ctrl-C (a second Ctrl-C leaves the rest: delete the stacks tagged with the run ID by hand).
Run:  ` + AWSVariable + `=1 AWS_PROFILE=sandbox AWS_REGION=us-east-1 make test-aws`

// costEstimate is printed before an AWS run. Prices: us-east-1 list prices
// as the author knew them when this was written (December 2026), not
// checked against the live pages from here:
// https://aws.amazon.com/elasticloadbalancing/pricing/ (ALB $0.0225 per
// hour plus LCUs, about $0.008 per hour idle), https://aws.amazon.com/fargate/pricing/
// ($0.04048 per vCPU-hour, $0.004445 per GB-hour), https://aws.amazon.com/vpc/pricing/
// (public IPv4 $0.005 per hour).
func costEstimate(scenarios int) string {
	const hours = 3.0
	albs := float64(scenarios) // one load balancer per scenario (the environments share theirs)
	tasks := 2.0 * float64(scenarios)
	albCost := albs * hours * (0.0225 + 0.008)
	taskCost := tasks * hours * (0.25*0.04048 + 0.5*0.004445)
	ipCost := (albs*2 + tasks) * hours * 0.005
	return fmt.Sprintf("Estimated cost: about $%.2f for %d scenarios over at most %.0f hours: %d load balancers ($%.2f), about %d Fargate tasks of 0.25 vCPU and 0.5 GB ($%.2f), public IPv4 addresses ($%.2f); alarms, Lambda, SSM and CloudWatch Logs cost cents.\n"+
		"Prices: us-east-1 list prices from https://aws.amazon.com/elasticloadbalancing/pricing/, https://aws.amazon.com/fargate/pricing/ and https://aws.amazon.com/vpc/pricing/ as of December 2026; check them for your Region.",
		albCost+taskCost+ipCost, scenarios, hours, int(albs), albCost, int(tasks), taskCost, ipCost)
}

// awsBackend runs the scenarios on a real account.
type awsBackend struct {
	cfg      aws.Config
	runID    string
	network  []string
	certArn  string
	mu       sync.Mutex
	stacks   []string
	cleaning sync.Once
}

func newAWSBackend(t *testing.T) *awsBackend {
	if os.Getenv(AWSVariable) != "1" {
		fmt.Println(awsInstructions)
		t.Skip("set " + AWSVariable + "=1 to run the scenarios on AWS")
	}
	ctx, cancel := background(2 * time.Minute)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil || cfg.Region == "" {
		t.Fatalf("load the AWS configuration (credentials and a Region): %v", err)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("who am I (sts GetCallerIdentity): %v", err)
	}
	b := &awsBackend{cfg: cfg, runID: randomID()}
	fmt.Printf("Account %s (%s), Region %s, run ID %s\n%s\n", aws.ToString(id.Account), aws.ToString(id.Arn), cfg.Region, b.runID, costEstimate(len(Scenarios)))
	fmt.Println("Starting in 10 seconds; Ctrl-C now creates nothing.")
	time.Sleep(10 * time.Second)

	// Clean-up on Ctrl-C or SIGTERM as well as at the end. The handler
	// stops listening first, so that a second Ctrl-C ends the run at once,
	// as the instructions say; the deploys still running are interrupted
	// too (a Ctrl-C at a terminal reaches them anyway, a CI's SIGTERM does
	// not), so that they cancel their updates before the clean-up waits
	// for the stacks to settle.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	stopped := make(chan struct{})
	go func() {
		select {
		case <-signals:
		case <-stopped:
			return
		}
		signal.Stop(signals)
		fmt.Println("Interrupted: deleting what this run created (run ID " + b.runID + "); press Ctrl-C again to leave it")
		interruptAll()
		b.cleanUp()
		killAll()
		os.Exit(130)
	}()
	t.Cleanup(func() {
		signal.Stop(signals)
		close(stopped)
		b.cleanUp()
	})

	subnets, vpc, err := b.defaultSubnets(ctx)
	if err != nil {
		t.Fatalf("the default VPC: %v", err)
	}
	if b.certArn, err = b.importCertificate(ctx); err != nil {
		t.Fatalf("import a self-signed certificate into ACM: %v", err)
	}
	list := strings.Join(subnets, ",")
	b.network = []string{"--vpc-id", vpc, "--public-subnets", list, "--private-subnets", list, "--certificate-arn", b.certArn}
	return b
}

func randomID() string {
	var buf [4]byte
	_, _ = rand.Read(buf[:])
	return hex.EncodeToString(buf[:])
}

func (b *awsBackend) Name() string       { return "aws" }
func (b *awsBackend) Config() aws.Config { return b.cfg }
func (b *awsBackend) Env() []string {
	// The user's own AWS settings, and no CFNFARGATE_* ones.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CFNFARGATE_") {
			env = append(env, kv)
		}
	}
	return append(env, "CI=true", "AWS_REGION="+b.cfg.Region)
}
func (b *awsBackend) Network() []string { return b.network }

// TaskFlags: the default VPC has no NAT gateway, so tasks get public IPs
// to pull images.
func (b *awsBackend) TaskFlags() []string            { return []string{"--public-tasks"} }
func (b *awsBackend) Stack(base string) string       { return "cft-" + b.runID + "-" + base }
func (b *awsBackend) Tags() []string                 { return []string{"--tag", RunTag + "=" + b.runID} }
func (b *awsBackend) Poll() time.Duration            { return 5 * time.Second }
func (b *awsBackend) Timeout() time.Duration         { return 45 * time.Minute }
func (b *awsBackend) Minutes(_, onAWS string) string { return onAWS }
func (b *awsBackend) EvaluatesAlarms() bool          { return true }
func (b *awsBackend) Hold(string, string) func()     { return func() {} }
func (b *awsBackend) Created(stack string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.stacks {
		if s == stack {
			return
		}
	}
	b.stacks = append(b.stacks, stack)
}

// cleanUp deletes every stack of the run (those it recorded and any that
// carries the run's tag), services before environments, then the SSM
// parameters cfnfargate keeps per stack, then the certificate.
func (b *awsBackend) cleanUp() {
	b.cleaning.Do(func() {
		ctx, cancel := background(3 * time.Hour)
		defer cancel()
		cf := cloudformation.NewFromConfig(b.cfg)
		names := map[string]bool{}
		b.mu.Lock()
		for _, s := range b.stacks {
			names[s] = true
		}
		b.mu.Unlock()
		pages := cloudformation.NewDescribeStacksPaginator(cf, &cloudformation.DescribeStacksInput{})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				fmt.Printf("clean-up: list stacks: %v\n", err)
				break
			}
			for _, st := range page.Stacks {
				for _, tag := range st.Tags {
					if aws.ToString(tag.Key) == RunTag && aws.ToString(tag.Value) == b.runID {
						names[aws.ToString(st.StackName)] = true
					}
				}
			}
		}
		var services, envs []string
		for n := range names {
			if strings.HasPrefix(n, "env-") {
				envs = append(envs, n)
			} else {
				services = append(services, n)
			}
		}
		sort.Strings(services)
		sort.Strings(envs)
		// Services before the environments their rules and target groups
		// hang off; the stacks of a group at once, as each may wait long.
		for _, group := range [][]string{services, envs} {
			var wg sync.WaitGroup
			for _, n := range group {
				wg.Add(1)
				go func() {
					defer wg.Done()
					b.deleteStack(ctx, cf, n)
				}()
			}
			wg.Wait()
		}
		sm := ssm.NewFromConfig(b.cfg)
		for n := range names {
			var doomed []string
			params := ssm.NewGetParametersByPathPaginator(sm, &ssm.GetParametersByPathInput{Path: aws.String("/cfnfargate/" + n), Recursive: aws.Bool(true)})
			for params.HasMorePages() {
				page, err := params.NextPage(ctx)
				if err != nil {
					break
				}
				for _, p := range page.Parameters {
					doomed = append(doomed, aws.ToString(p.Name))
				}
			}
			for i := 0; i < len(doomed); i += 10 {
				_, _ = sm.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: doomed[i:min(i+10, len(doomed))]})
			}
		}
		if b.certArn != "" {
			if _, err := b.call(ctx, "acm", "CertificateManager.DeleteCertificate", map[string]any{"CertificateArn": b.certArn}); err != nil {
				fmt.Printf("clean-up: delete certificate %s: %v (delete it by hand)\n", b.certArn, err)
			}
		}
		fmt.Printf("clean-up of run %s done\n", b.runID)
	})
}

// deleteStack deletes a stack of the run, trying three times. A stack that
// CloudFormation works on cannot be deleted ("cannot be deleted while in
// status ..."), so it first waits for the stack to settle, cancelling an
// update in progress so that its rollback starts now rather than after a
// bake or a pause: after a Ctrl-C every deploy of the run may be rolling
// back. A delete that fails (DELETE_FAILED: a resource still in use, say)
// is tried again.
func (b *awsBackend) deleteStack(ctx context.Context, cf *cloudformation.Client, name string) {
	for attempt := 1; attempt <= 3; attempt++ {
		status := b.settled(ctx, cf, name)
		if status == "" || status == "DELETE_COMPLETE" {
			return
		}
		if _, err := cf.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(name)}); err != nil {
			fmt.Printf("clean-up: delete stack %s (attempt %d): %v\n", name, attempt, err)
			continue
		}
		waiter := cloudformation.NewStackDeleteCompleteWaiter(cf)
		err := waiter.Wait(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)}, 60*time.Minute)
		if err == nil {
			return
		}
		fmt.Printf("clean-up: stack %s not deleted (attempt %d): %v\n", name, attempt, err)
	}
	fmt.Printf("clean-up: stack %s is left; delete it by hand (its resources carry the tag %s=%s)\n", name, RunTag, b.runID)
}

// settled waits until the stack is in no *_IN_PROGRESS status (at most an
// hour) and returns its status, or "" when it does not exist. An update in
// progress is cancelled once.
func (b *awsBackend) settled(ctx context.Context, cf *cloudformation.Client, name string) string {
	cancelled := false
	deadline := time.Now().Add(time.Hour)
	for {
		out, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
		switch {
		case err != nil && strings.Contains(err.Error(), "does not exist"):
			return ""
		case err != nil:
			fmt.Printf("clean-up: describe stack %s: %v\n", name, err)
		case len(out.Stacks) == 0:
			return ""
		default:
			status := string(out.Stacks[0].StackStatus)
			if !strings.HasSuffix(status, "_IN_PROGRESS") || status == "REVIEW_IN_PROGRESS" {
				return status
			}
			if status == "UPDATE_IN_PROGRESS" && !cancelled {
				cancelled = true
				if _, err := cf.CancelUpdateStack(ctx, &cloudformation.CancelUpdateStackInput{StackName: aws.String(name)}); err == nil {
					fmt.Printf("clean-up: cancelled the update of stack %s, and waiting for its rollback\n", name)
				}
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return "still in progress"
		}
		time.Sleep(15 * time.Second)
	}
}

// call is a signed AWS call over net/http, for the two services the
// scenarios need and cfnfargate does not (EC2 to find the default VPC, ACM
// to import a certificate): their SDK clients would add a lot of code to
// compile for two calls. target names a JSON operation; a query call puts
// Action in form.
func (b *awsBackend) call(ctx context.Context, service, target string, in any) ([]byte, error) {
	endpoint := fmt.Sprintf("https://%s.%s.amazonaws.com/", service, b.cfg.Region)
	var body []byte
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, nil)
	if err != nil {
		return nil, err
	}
	if form, ok := in.(url.Values); ok {
		body = []byte(form.Encode())
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	} else {
		if body, err = json.Marshal(in); err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", target)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	sum := sha256.Sum256(body)
	creds, err := b.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, err
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, b.cfg.Region, time.Now()); err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %s: %s", service, target, resp.Status, out)
	}
	return out, nil
}

// defaultSubnets returns the default VPC and its default subnets, one per
// Availability Zone.
func (b *awsBackend) defaultSubnets(ctx context.Context) ([]string, string, error) {
	out, err := b.call(ctx, "ec2", "", url.Values{"Action": {"DescribeVpcs"}, "Version": {"2016-11-15"},
		"Filter.1.Name": {"is-default"}, "Filter.1.Value.1": {"true"}})
	if err != nil {
		return nil, "", err
	}
	vpcs := testenv.XMLValues(out, "vpcId")
	if len(vpcs) == 0 {
		return nil, "", fmt.Errorf("the Region has no default VPC (create one with `aws ec2 create-default-vpc`)")
	}
	out, err = b.call(ctx, "ec2", "", url.Values{"Action": {"DescribeSubnets"}, "Version": {"2016-11-15"},
		"Filter.1.Name": {"vpc-id"}, "Filter.1.Value.1": {vpcs[0]}, "Filter.2.Name": {"default-for-az"}, "Filter.2.Value.1": {"true"}})
	if err != nil {
		return nil, "", err
	}
	ids, zones := testenv.XMLValues(out, "subnetId"), testenv.XMLValues(out, "availabilityZone")
	seen := map[string]bool{}
	var subnets []string
	for i := range ids {
		if i < len(zones) && !seen[zones[i]] {
			seen[zones[i]] = true
			subnets = append(subnets, ids[i])
		}
	}
	if len(subnets) < 2 {
		return nil, "", fmt.Errorf("the default VPC %s has default subnets in %d Availability Zones; a load balancer needs two", vpcs[0], len(subnets))
	}
	return subnets, vpcs[0], nil
}

// importCertificate imports a self-signed certificate for the listeners:
// browsers would not trust it, but the scenarios send no request to the
// load balancers, and ACM and ELB accept it.
func (b *awsBackend) importCertificate(ctx context.Context) (string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "cfnfargate-test.example.com"},
		DNSNames: []string{"cfnfargate-test.example.com", "*.example.com"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(7 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	out, err := b.call(ctx, "acm", "CertificateManager.ImportCertificate", map[string]any{
		"Certificate": base64.StdEncoding.EncodeToString(certPEM), "PrivateKey": base64.StdEncoding.EncodeToString(keyPEM),
		"Tags": []map[string]string{{"Key": RunTag, "Value": b.runID}}})
	if err != nil {
		return "", err
	}
	var res struct{ CertificateArn string }
	if err := json.Unmarshal(out, &res); err != nil || res.CertificateArn == "" {
		return "", fmt.Errorf("ImportCertificate answered %s", out)
	}
	return res.CertificateArn, nil
}
