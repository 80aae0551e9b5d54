package deploy

import (
	"context"
	"encoding/xml"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
)

// The moto tests share one moto_server, which RunTests stops.
func TestMain(m *testing.M) { os.Exit(testenv.RunTests(m)) }

const motoTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  TopicName:
    Type: String
  Retention:
    Type: Number
    Default: 7
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Ref TopicName
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: !Ref Retention
Outputs:
  TopicArn:
    Value: !Ref Topic
`

// Proves: against moto, a real implementation of the CloudFormation API,
// the whole lifecycle works end to end: diff of a new stack cleans up after
// itself, deploy creates, a second deploy updates keeping the parameters
// it is not given, status reads the stack, and delete removes it and then
// finds nothing to delete. Moto stamps no ClientRequestToken on events, so
// this also runs the timestamp fallback of the event filter.
func TestLifecycleAgainstMoto(t *testing.T) {
	t.Parallel()
	m := testenv.SharedMoto(t)
	client := cloudformation.New(cloudformation.Options{
		Region:       m.Region,
		BaseEndpoint: aws.String(m.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		Retryer:      newRetryer(nil),
	})
	rec := &recorder{}
	d := &Deployer{API: client, Sink: rec, PollInterval: 100 * time.Millisecond}
	ctx := context.Background()
	in := Input{
		StackName:    "moto-demo",
		TemplateBody: motoTemplate,
		Parameters:   map[string]string{"TopicName": "demo-topic"},
		Timeout:      time.Minute,
	}

	plan, err := d.Diff(ctx, in)
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	if len(plan.Changes) != 2 || plan.ChangeSetType != "CREATE" {
		t.Errorf("Diff plan = %+v; want two additions", plan)
	}
	if _, err := d.Status(ctx, in.StackName); !errors.Is(err, ErrStackNotFound) {
		t.Errorf("after Diff, Status = %v; want the review stack gone", err)
	}

	res, err := d.Deploy(ctx, in)
	if err != nil {
		t.Fatalf("Deploy (create): %v", err)
	}
	// moto leaves Outputs out of DescribeStacks for stacks made through
	// change sets, so outputs are checked against the simulator instead.
	if res.Status != statusCreateComplete || res.ChangeSetType != "CREATE" {
		t.Errorf("create Result = %+v", res)
	}
	if len(rec.resourceEvents()) == 0 {
		t.Error("no events reported for the create")
	}

	in.Parameters = map[string]string{"Retention": "14"}
	res, err = d.Deploy(ctx, in)
	if err != nil {
		t.Fatalf("Deploy (update): %v", err)
	}
	if res.ChangeSetType != "UPDATE" || res.Status != statusUpdateComplete {
		t.Errorf("update Result = %+v; want UPDATE_COMPLETE", res)
	}
	out, err := client.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(in.StackName)})
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]string{}
	for _, p := range out.Stacks[0].Parameters {
		params[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	if params["TopicName"] != "demo-topic" || params["Retention"] != "14" {
		t.Errorf("parameters after the update = %v; want TopicName kept and Retention 14", params)
	}

	st, err := d.Status(ctx, in.StackName)
	if err != nil || st.Status != statusUpdateComplete {
		t.Errorf("Status = %+v, %v", st, err)
	}

	del, err := d.Delete(ctx, DeleteInput{StackName: in.StackName, Timeout: time.Minute})
	if err != nil || !del.Existed || del.Status != statusDeleteComplete {
		t.Fatalf("Delete = %+v, %v", del, err)
	}
	if del, err := d.Delete(ctx, DeleteInput{StackName: in.StackName}); err != nil || del.Existed {
		t.Errorf("second Delete = %+v, %v; want nothing to delete", del, err)
	}
}

// motoDeployer is a Deployer whose CloudFormation, IAM and ELB clients are
// the real SDK clients pointed at m.
func motoDeployer(m *testenv.Moto) (*Deployer, *recorder) {
	creds := credentials.NewStaticCredentialsProvider("testing", "testing", "")
	rec := &recorder{}
	return &Deployer{
		API: cloudformation.New(cloudformation.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint), Credentials: creds,
			Retryer: newRetryer(nil)}),
		IAM:  iam.New(iam.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint), Credentials: creds, Retryer: newRetryer(nil)}),
		ELB:  elbv2.New(elbv2.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint), Credentials: creds, Retryer: newRetryer(nil)}),
		Sink: rec, PollInterval: 100 * time.Millisecond,
		// moto's IAM needs no time to spread a role.
		RoleWait: time.Millisecond,
	}, rec
}

// countingIAM records the IAM calls made through it.
type countingIAM struct {
	IAMAPI
	mu    sync.Mutex
	calls []string
}

func (c *countingIAM) GetRole(ctx context.Context, in *iam.GetRoleInput, opts ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	c.record("GetRole")
	return c.IAMAPI.GetRole(ctx, in, opts...)
}

func (c *countingIAM) CreateServiceLinkedRole(ctx context.Context, in *iam.CreateServiceLinkedRoleInput, opts ...func(*iam.Options)) (*iam.CreateServiceLinkedRoleOutput, error) {
	c.record("CreateServiceLinkedRole")
	return c.IAMAPI.CreateServiceLinkedRole(ctx, in, opts...)
}

func (c *countingIAM) record(call string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, call)
}

func (c *countingIAM) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.calls
	c.calls = nil
	return out
}

// ecsRoles lists the roles moto holds under the path IAM gives the ECS
// service-linked role.
func ecsRoles(t *testing.T, m *testenv.Moto) []string {
	t.Helper()
	return testenv.XMLValues(m.Query(t, "iam", "ListRoles", url.Values{"PathPrefix": {"/aws-service-role/ecs.amazonaws.com/"}}), "RoleName")
}

const motoClusterTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Cluster:
    Type: AWS::ECS::Cluster
`

// Proves, against moto's IAM: the first create in an account without the
// ECS service-linked role creates it, through the real SDK's IAM client,
// before the change set; a create that finds the role leaves it alone; and
// the "already exists" answer of a create that lost a race is a success.
// moto names the role it creates AWSServiceRoleForecs where IAM says
// AWSServiceRoleForECS, so the role is looked for by its path, and the
// "finds it" case creates the role under IAM's name first. IAM roles are
// global to the account, and the test needs one without the role, so the
// server is its own.
func TestServiceLinkedRoleAgainstMoto(t *testing.T) {
	t.Parallel()
	m := testenv.StartMoto(t)
	d, rec := motoDeployer(m)
	counted := &countingIAM{IAMAPI: d.IAM}
	d.IAM = counted
	ctx := context.Background()
	deploy := func(stack string) *Result {
		t.Helper()
		res, err := d.Deploy(ctx, Input{StackName: stack, TemplateBody: motoClusterTemplate, Timeout: time.Minute})
		if err != nil {
			t.Fatalf("Deploy %s: %v", stack, err)
		}
		if len(res.Warnings) != 0 {
			t.Errorf("Deploy %s warnings: %q", stack, res.Warnings)
		}
		return res
	}

	if roles := ecsRoles(t, m); len(roles) != 0 {
		t.Fatalf("a fresh moto has ECS roles %v", roles)
	}
	deploy("first")
	if got := counted.take(); !slices.Equal(got, []string{"GetRole", "CreateServiceLinkedRole"}) {
		t.Errorf("first create: IAM calls %v; want the role looked for and created", got)
	}
	if roles := ecsRoles(t, m); len(roles) != 1 {
		t.Errorf("after the first create, ECS roles %v; want one", roles)
	}
	if !strings.Contains(rec.notes(), "Created the ECS service-linked role AWSServiceRoleForECS") {
		t.Errorf("notes %q do not say the role was created", rec.notes())
	}

	// moto cannot find its AWSServiceRoleForecs as AWSServiceRoleForECS,
	// so this create asks again and gets moto's EntityAlreadyExists.
	deploy("second")
	if got := counted.take(); !slices.Equal(got, []string{"GetRole", "CreateServiceLinkedRole"}) {
		t.Errorf("second create: IAM calls %v; want a create that finds the role taken", got)
	}

	m.Query(t, "iam", "CreateRole", url.Values{
		"RoleName":                 {"AWSServiceRoleForECS"},
		"Path":                     {"/aws-service-role/ecs.amazonaws.com/"},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
	})
	deploy("third")
	if got := counted.take(); !slices.Equal(got, []string{"GetRole"}) {
		t.Errorf("third create: IAM calls %v; want only GetRole, which finds the role", got)
	}
}

// Proves, against moto: Delete refuses a stack whose load balancer has
// deletion protection before deleting anything (the stack stays, in the
// same status, with all its resources), with advice that names the
// load balancer and the command to turn protection off; once it is off,
// the same Delete deletes the stack. moto's CloudFormation does not pass
// LoadBalancerAttributes on to its ELB, so the test turns the protection
// on through the ELB API, as CloudFormation does on AWS for
// testdata/deletion-protection.yaml.
func TestDeleteRefusesProtectedLoadBalancerAgainstMoto(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile(filepath.Join("..", "..", "testdata", "deletion-protection.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := testenv.SharedMoto(t)
	n := m.Seed(t)
	d, _ := motoDeployer(m)
	ctx := context.Background()
	res, err := d.Deploy(ctx, Input{StackName: "protected", TemplateBody: string(body), Capabilities: []string{"CAPABILITY_IAM"},
		Parameters: map[string]string{
			"VpcId": n.VpcID, "PublicSubnetIds": strings.Join(n.PublicSubnets, ","),
			"PrivateSubnetIds": strings.Join(n.PrivateSubnets, ","), "CertificateArn": n.CertificateArn,
		}, Timeout: time.Minute})
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	resources := func() []string {
		return testenv.XMLValues(m.Query(t, "cloudformation", "ListStackResources", url.Values{"StackName": {"protected"}}), "LogicalResourceId")
	}
	before := resources()
	// The server is shared, so the load balancer is found through the
	// stack, not by listing every one.
	var listed struct {
		Resources []struct {
			LogicalID  string `xml:"LogicalResourceId"`
			PhysicalID string `xml:"PhysicalResourceId"`
		} `xml:"ListStackResourcesResult>StackResourceSummaries>member"`
	}
	listing := m.Query(t, "cloudformation", "ListStackResources", url.Values{"StackName": {"protected"}})
	if err := xml.Unmarshal(listing, &listed); err != nil {
		t.Fatalf("decode ListStackResources: %v\n%s", err, listing)
	}
	var lbs []string
	for _, r := range listed.Resources {
		if r.LogicalID == "LoadBalancer" {
			lbs = append(lbs, r.PhysicalID)
		}
	}
	if len(lbs) != 1 || !strings.HasPrefix(lbs[0], "arn:aws:elasticloadbalancing:") {
		t.Fatalf("the stack's load balancer is %v; want one ARN", lbs)
	}
	protect := func(on string) {
		m.Query(t, "elasticloadbalancing", "ModifyLoadBalancerAttributes", url.Values{
			"LoadBalancerArn":           {lbs[0]},
			"Attributes.member.1.Key":   {"deletion_protection.enabled"},
			"Attributes.member.1.Value": {on},
		})
	}
	protect("true")

	_, err = d.Delete(ctx, DeleteInput{StackName: "protected", Timeout: time.Minute})
	var be *BlockedError
	if !errors.As(err, &be) || ExitCode(err) != ExitFailure {
		t.Fatalf("Delete of a protected stack: %v (%T); want *BlockedError", err, err)
	}
	for _, want := range []string{"deletion protection", "deliberate", "nothing was deleted",
		"aws elbv2 modify-load-balancer-attributes --load-balancer-arn " + lbs[0] + " --attributes Key=deletion_protection.enabled,Value=false"} {
		if !strings.Contains(err.Error()+"\n"+stepsText(NextSteps(err)), want) {
			t.Errorf("error lacks %q:\n%v\n%s", want, err, stepsText(NextSteps(err)))
		}
	}
	st, err := d.Status(ctx, "protected")
	if err != nil || st.Status != res.Status {
		t.Errorf("after the refusal: %+v, %v; want the stack still %s", st, err, res.Status)
	}
	if after := resources(); !slices.Equal(after, before) {
		t.Errorf("resources after the refusal %v; want all of %v", after, before)
	}

	protect("false")
	if del, err := d.Delete(ctx, DeleteInput{StackName: "protected", Timeout: time.Minute}); err != nil || del.Status != statusDeleteComplete {
		t.Errorf("Delete without protection = %+v, %v; want it deleted", del, err)
	}
}

// Proves, against moto, whose change sets report a changed logical ID as a
// Remove and an Add: renaming the log group is a replacement that Deploy
// does not execute unasked; the change set is deleted and the stack keeps
// its log group. With AllowReplacement the same deploy runs.
func TestDeployGuardsRenamedLogGroupAgainstMoto(t *testing.T) {
	t.Parallel()
	m := testenv.SharedMoto(t)
	d, _ := motoDeployer(m)
	ctx := context.Background()
	in := Input{StackName: "renamed", TemplateBody: motoTemplate, Parameters: map[string]string{"TopicName": "t"}, Timeout: time.Minute}
	if _, err := d.Deploy(ctx, in); err != nil {
		t.Fatalf("Deploy (create): %v", err)
	}
	changeSets := func() int {
		return len(testenv.XMLValues(m.Query(t, "cloudformation", "ListChangeSets", url.Values{"StackName": {"renamed"}}), "ChangeSetId"))
	}
	resources := func() []string {
		return testenv.XMLValues(m.Query(t, "cloudformation", "ListStackResources", url.Values{"StackName": {"renamed"}}), "LogicalResourceId")
	}
	before := changeSets()
	in.TemplateBody = strings.Replace(motoTemplate, "  Logs:\n", "  AppLogs:\n", 1)

	_, err := d.Deploy(ctx, in)
	var re *ReplacementError
	if !errors.As(err, &re) || len(re.Replacements) != 1 || re.Replacements[0].Previous != "Logs" || re.Replacements[0].LogicalID != "AppLogs" {
		t.Fatalf("Deploy renaming the log group: %v; want a *ReplacementError for AppLogs replacing Logs", err)
	}
	if after := changeSets(); after != before {
		t.Errorf("change sets %d before, %d after the refusal; want the new one deleted", before, after)
	}
	if got := resources(); !slices.Contains(got, "Logs") || slices.Contains(got, "AppLogs") {
		t.Errorf("resources after the refusal %v; want Logs kept and no AppLogs", got)
	}

	in.AllowReplacement = true
	if res, err := d.Deploy(ctx, in); err != nil || res.Status != statusUpdateComplete {
		t.Fatalf("Deploy with AllowReplacement = %+v, %v; want UPDATE_COMPLETE", res, err)
	}
	if got := resources(); !slices.Contains(got, "AppLogs") || slices.Contains(got, "Logs") {
		t.Errorf("resources after the allowed replacement %v; want AppLogs instead of Logs", got)
	}
}
