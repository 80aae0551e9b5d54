package deploy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
)

// Proves: Locate finds, from a deployed default template's resources, the
// cluster, service, target group, load balancer, task definition and log
// group that ECS and ELB know by those IDs; and a stack that does not exist
// is ErrStackNotFound.
func TestLocateAgainstMoto(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile(filepath.Join("..", "..", "testdata", "default.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := testenv.SharedMoto(t)
	n := m.Seed(t)
	d, _ := motoDeployer(m)
	ctx := context.Background()
	if _, err := d.Deploy(ctx, Input{StackName: "located", TemplateBody: string(body), Capabilities: []string{"CAPABILITY_IAM"},
		Parameters: map[string]string{
			"VpcId": n.VpcID, "PublicSubnetIds": strings.Join(n.PublicSubnets, ","),
			"PrivateSubnetIds": strings.Join(n.PrivateSubnets, ","), "CertificateArn": n.CertificateArn,
		}, Timeout: time.Minute}); err != nil {
		t.Fatalf("Deploy: %v", err)
	}

	res, err := Locate(ctx, d.API, "located")
	if err != nil {
		t.Fatalf("Locate: %v", err)
	}
	creds := credentials.NewStaticCredentialsProvider("testing", "testing", "")
	ecsClient := ecs.New(ecs.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint), Credentials: creds})
	svc, err := ecsClient.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(res.Cluster), Services: []string{res.Service}})
	if err != nil || len(svc.Services) != 1 {
		t.Fatalf("DescribeServices(%q, %q) = %+v, %v; want the stack's service", res.Cluster, res.Service, svc, err)
	}
	if got := aws.ToString(svc.Services[0].ServiceArn); got != res.ServiceARN {
		t.Errorf("ServiceARN = %q; ECS says %q", res.ServiceARN, got)
	}
	if got := aws.ToString(svc.Services[0].TaskDefinition); got != res.TaskDefinitionARN {
		t.Errorf("TaskDefinitionARN = %q; the service runs %q", res.TaskDefinitionARN, got)
	}
	// moto's ECS keeps no load balancers on the service, so the target
	// group is checked against the load balancer ELB says it serves.
	elb := elbv2.New(elbv2.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint), Credentials: creds})
	if len(res.TargetGroupARNs) != 1 {
		t.Fatalf("TargetGroupARNs = %q; want the default template's one", res.TargetGroupARNs)
	}
	tgs, err := elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: res.TargetGroupARNs})
	if err != nil || len(tgs.TargetGroups) != 1 {
		t.Fatalf("DescribeTargetGroups(%q) = %+v, %v", res.TargetGroupARNs, tgs, err)
	}
	if got := tgs.TargetGroups[0].LoadBalancerArns; !slices.Equal(got, []string{res.LoadBalancerARN}) {
		t.Errorf("target group serves load balancers %q; Locate found %q", got, res.LoadBalancerARN)
	}
	if !strings.HasPrefix(res.LogGroup, "/ecs/located/") {
		t.Errorf("LogGroup = %q; want the stack's /ecs/located/... group", res.LogGroup)
	}

	if _, err := Locate(ctx, d.API, "never-deployed"); !errors.Is(err, ErrStackNotFound) {
		t.Errorf("Locate(never-deployed) = %v; want ErrStackNotFound", err)
	}
}

// Proves: a service ARN splits into cluster and service in the long
// format, and an unexpected form keeps the whole as the service.
func TestClusterAndServiceFromARN(t *testing.T) {
	for _, tc := range []struct{ arn, cluster, service string }{
		{"arn:aws:ecs:eu-west-1:123456789012:service/web-Cluster-1/web-Service-2", "web-Cluster-1", "web-Service-2"},
		{"arn:aws:ecs:eu-west-1:123456789012:service/only-service", "", "only-service"},
		{"plain-name", "", "plain-name"},
	} {
		c, s := clusterAndServiceFromARN(tc.arn)
		if c != tc.cluster || s != tc.service {
			t.Errorf("clusterAndServiceFromARN(%q) = %q, %q; want %q, %q", tc.arn, c, s, tc.cluster, tc.service)
		}
	}
}

// Proves (F8): in a stack with a pause gate, which has two log groups,
// Locate picks the container's (logical ID LogGroup) and never the gate's,
// whatever order ListStackResources lists them in (it promises none); the
// environment service's rule is picked by its logical ID too. The
// resources are those of the canary golden, deployed into moto.
func TestLocatePicksContainerLogGroup(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile(filepath.Join("..", "..", "testdata", "canary.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), "PauseGateLogGroup:") {
		t.Fatal("canary.yaml has no PauseGateLogGroup; the test would prove nothing")
	}
	m := testenv.SharedMoto(t)
	n := m.Seed(t)
	d, _ := motoDeployer(m)
	ctx := context.Background()
	if _, err := d.Deploy(ctx, Input{StackName: "located-gate", TemplateBody: string(body), Capabilities: []string{"CAPABILITY_IAM"},
		Parameters: map[string]string{
			"VpcId": n.VpcID, "PublicSubnetIds": strings.Join(n.PublicSubnets, ","),
			"PrivateSubnetIds": strings.Join(n.PrivateSubnets, ","), "CertificateArn": n.CertificateArn,
		}, Timeout: time.Minute}); err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	out, err := d.API.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{StackName: aws.String("located-gate")})
	if err != nil {
		t.Fatal(err)
	}
	var container string
	groups := 0
	for _, r := range out.StackResourceSummaries {
		if aws.ToString(r.ResourceType) == logGroupType {
			groups++
			if aws.ToString(r.LogicalResourceId) == "LogGroup" {
				container = aws.ToString(r.PhysicalResourceId)
			}
		}
	}
	if groups != 2 || container == "" {
		t.Fatalf("the stack has %d log groups, container's %q; want the container's and the gate's", groups, container)
	}
	forward := out.StackResourceSummaries
	backward := slices.Clone(forward)
	slices.Reverse(backward)
	for name, order := range map[string][]cftypes.StackResourceSummary{"as moto lists them": forward, "reversed": backward} {
		res, err := Locate(ctx, listedResources{list: order}, "located-gate")
		if err != nil {
			t.Fatal(err)
		}
		if res.LogGroup != container {
			t.Errorf("%s: LogGroup = %q, want the container's %q", name, res.LogGroup, container)
		}
		if res.ListenerRuleARN != "" {
			t.Errorf("%s: ListenerRuleARN = %q; a service of its own load balancer has no environment rule", name, res.ListenerRuleARN)
		}
	}
}

// listedResources answers ListStackResources with a fixed list, in its
// order; any other call panics.
type listedResources struct {
	API
	list []cftypes.StackResourceSummary
}

func (l listedResources) ListStackResources(context.Context, *cloudformation.ListStackResourcesInput, ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error) {
	return &cloudformation.ListStackResourcesOutput{StackResourceSummaries: l.list}, nil
}
