package stack_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack"
)

// The moto tests share one moto_server, which RunTests stops. Each names
// its stacks uniquely and finds what it checks through them.
func TestMain(m *testing.M) { os.Exit(testenv.RunTests(m)) }

// motoStack is a stack created in moto and its resources' physical IDs.
type motoStack struct {
	name      string
	physical  map[string]string // logical ID -> physical ID
	resources map[string]string // logical ID -> type
}

// networkParameters are the template parameters for the seeded network.
func networkParameters(n testenv.Network) map[string]string {
	return map[string]string{
		"VpcId":            n.VpcID,
		"PublicSubnetIds":  strings.Join(n.PublicSubnets, ","),
		"PrivateSubnetIds": strings.Join(n.PrivateSubnets, ","),
		"CertificateArn":   n.CertificateArn,
	}
}

func cfnClient(m *testenv.Moto) *cloudformation.Client {
	return cloudformation.New(cloudformation.Options{
		Region:       m.Region,
		BaseEndpoint: aws.String(m.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
}

// createStack creates a stack from body through the real SDK and waits for
// it to settle, failing the test unless it reaches CREATE_COMPLETE.
func createStack(t *testing.T, client *cloudformation.Client, name string, body []byte, params map[string]string) motoStack {
	t.Helper()
	ctx := context.Background()
	var parameters []types.Parameter
	for k, v := range params {
		parameters = append(parameters, types.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)})
	}
	_, err := client.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:    aws.String(name),
		TemplateBody: aws.String(string(body)),
		Parameters:   parameters,
		Capabilities: []types.Capability{types.CapabilityCapabilityIam},
	})
	if err != nil {
		t.Fatalf("CreateStack %s: %v", name, err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := client.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
		if err != nil {
			t.Fatalf("DescribeStacks %s: %v", name, err)
		}
		status := out.Stacks[0].StackStatus
		if status == types.StackStatusCreateComplete {
			break
		}
		if !strings.HasSuffix(string(status), "_IN_PROGRESS") || time.Now().After(deadline) {
			t.Fatalf("stack %s ended in %s: %s", name, status, aws.ToString(out.Stacks[0].StackStatusReason))
		}
		time.Sleep(200 * time.Millisecond)
	}
	res, err := client.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeStackResources %s: %v", name, err)
	}
	s := motoStack{name: name, physical: map[string]string{}, resources: map[string]string{}}
	for _, r := range res.StackResources {
		if aws.ToString(r.LogicalResourceId) == "" {
			continue // moto lists a blank entry for each type it does not model
		}
		s.physical[aws.ToString(r.LogicalResourceId)] = aws.ToString(r.PhysicalResourceId)
		s.resources[aws.ToString(r.LogicalResourceId)] = aws.ToString(r.ResourceType)
	}
	return s
}

// TestDeployToMoto proves every golden configuration deploys: moto creates
// the stack from the emitted template through the real SDK, and its ELBv2,
// ECS and IAM APIs then show the load balancer, listeners, service and
// roles wired as the template says.
func TestDeployToMoto(t *testing.T) {
	m := testenv.SharedMoto(t)
	network := m.Seed(t)
	client := cfnClient(m)
	params := networkParameters(network)

	// The existing-cluster variant joins a cluster made outside the stack,
	// and the domain variants need a hosted zone.
	m.JSON(t, "ecs", "CreateCluster", map[string]any{"clusterName": "shared-cluster"}, nil)
	zone := m.CreateHostedZone(t, "example.com.")

	for i, v := range allVariants() {
		t.Run(v.name, func(t *testing.T) {
			cfg := v.cfg()
			p := maps.Clone(params)
			if cfg.Domain.Name != "" {
				cfg.Domain.HostedZoneID = zone
				if i%2 == 0 {
					p["CertificateArn"] = "" // let the stack create the certificate
				}
			}
			body := render(t, cfg, i%2 == 1) // YAML and JSON alike
			s := createStack(t, client, "e2e-"+v.name, body, p)
			checkDeployed(t, m, s, cfg, network, p["CertificateArn"])
		})
	}
}

// TestHTTPOnlyToMoto proves moto builds the default template without a
// certificate as the conditions say: one listener, on port 80, forwarding
// to the target group, no HTTPS listener, and the outputs give an http://
// URL and say that traffic is not encrypted.
func TestHTTPOnlyToMoto(t *testing.T) {
	m := testenv.SharedMoto(t)
	network := m.Seed(t)
	p := networkParameters(network)
	p["CertificateArn"] = ""
	s := createStack(t, cfnClient(m), "e2e-http-only", render(t, stack.Default(), false), p)
	if _, ok := s.physical["HttpsListener"]; ok {
		t.Errorf("moto created HttpsListener without a certificate")
	}
	var listeners struct {
		Listeners []struct {
			Port     int    `xml:"Port"`
			Protocol string `xml:"Protocol"`
			Actions  []struct {
				Type           string `xml:"Type"`
				TargetGroupArn string `xml:"TargetGroupArn"`
			} `xml:"DefaultActions>member"`
		} `xml:"DescribeListenersResult>Listeners>member"`
	}
	decodeXML(t, m.Query(t, "elasticloadbalancing", "DescribeListeners", url.Values{"LoadBalancerArn": {s.physical["LoadBalancer"]}}), &listeners)
	if l := listeners.Listeners; len(l) != 1 || l[0].Port != 80 || l[0].Protocol != "HTTP" || len(l[0].Actions) != 1 ||
		l[0].Actions[0].Type != "forward" || l[0].Actions[0].TargetGroupArn != s.physical["TargetGroup"] {
		t.Errorf("listeners = %+v, want one HTTP listener on 80 forwarding to %s", l, s.physical["TargetGroup"])
	}
	out, err := cfnClient(m).DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(s.name)})
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	if !strings.HasPrefix(outputs["ServiceURL"], "http://") || !strings.Contains(outputs["HttpOnly"], "not encrypted") {
		t.Errorf("outputs = %v, want an http:// ServiceURL and HttpOnly saying the traffic is not encrypted", outputs)
	}
}

// checkDeployed looks at what moto created, through the services' own APIs.
// certificateArn is the CertificateArn parameter; empty means the stack
// created the certificate.
func checkDeployed(t *testing.T, m *testenv.Moto, s motoStack, cfg stack.Config, n testenv.Network, certificateArn string) {
	t.Helper()
	// moto accepts resource types it does not model and creates nothing for
	// them: say which, so a reader knows what this test did not see.
	var skipped []string
	doc := document(t, cfg)
	// The target group's logical ID depends on the load balancer's scheme.
	var tgID string
	var tgPort any
	for id, r := range doc["Resources"].(map[string]any) {
		// A blue/green service's second target group is checked with its
		// listener rule (checkDelivery).
		if r.(map[string]any)["Type"] == "AWS::ElasticLoadBalancingV2::TargetGroup" && !strings.HasSuffix(id, "Alternate") {
			tgID, tgPort = id, r.(map[string]any)["Properties"].(map[string]any)["Port"]
		}
	}
	for id, r := range doc["Resources"].(map[string]any) {
		typ := r.(map[string]any)["Type"].(string)
		if physical, ok := s.physical[id]; ok && physical != "" {
			continue
		}
		if id == "Certificate" && certificateArn != "" {
			continue // its condition is false: a certificate ARN was given
		}
		skipped = append(skipped, id+" ("+typ+")")
	}
	if len(skipped) > 0 {
		slices.Sort(skipped)
		t.Logf("moto did not create (it does not model them): %s", strings.Join(skipped, ", "))
	}

	lbArn := s.physical["LoadBalancer"]
	var lbs struct {
		LoadBalancers []struct {
			Scheme string `xml:"Scheme"`
			Type   string `xml:"Type"`
		} `xml:"DescribeLoadBalancersResult>LoadBalancers>member"`
	}
	decodeXML(t, m.Query(t, "elasticloadbalancing", "DescribeLoadBalancers", url.Values{"LoadBalancerArns.member.1": {lbArn}}), &lbs)
	wantScheme := "internet-facing"
	if cfg.LoadBalancer.Internal {
		wantScheme = "internal"
	}
	if len(lbs.LoadBalancers) != 1 || lbs.LoadBalancers[0].Scheme != wantScheme || lbs.LoadBalancers[0].Type != "application" {
		t.Errorf("load balancers = %+v, want one %s application load balancer", lbs.LoadBalancers, wantScheme)
	}

	var listeners struct {
		Listeners []struct {
			Port         int    `xml:"Port"`
			Protocol     string `xml:"Protocol"`
			SslPolicy    string `xml:"SslPolicy"`
			Certificates []struct {
				CertificateArn string `xml:"CertificateArn"`
			} `xml:"Certificates>member"`
			Actions []struct {
				Type           string `xml:"Type"`
				TargetGroupArn string `xml:"TargetGroupArn"`
				RedirectStatus string `xml:"RedirectConfig>StatusCode"`
			} `xml:"DefaultActions>member"`
		} `xml:"DescribeListenersResult>Listeners>member"`
	}
	decodeXML(t, m.Query(t, "elasticloadbalancing", "DescribeListeners", url.Values{"LoadBalancerArn": {lbArn}}), &listeners)
	wantCertificate := certificateArn
	if wantCertificate == "" {
		wantCertificate = s.physical["Certificate"]
	}
	found := map[int]bool{}
	for _, l := range listeners.Listeners {
		found[l.Port] = true
		switch l.Port {
		case 80:
			if l.Protocol != "HTTP" || len(l.Actions) != 1 || l.Actions[0].Type != "redirect" || l.Actions[0].RedirectStatus != "HTTP_301" {
				t.Errorf("port 80 listener = %+v, want an HTTP 301 redirect", l)
			}
		case 443:
			if l.Protocol != "HTTPS" || l.SslPolicy != cfg.LoadBalancer.SSLPolicy ||
				len(l.Certificates) != 1 || l.Certificates[0].CertificateArn != wantCertificate ||
				len(l.Actions) != 1 || l.Actions[0].TargetGroupArn != s.physical[tgID] {
				t.Errorf("port 443 listener = %+v, want HTTPS with %s and %s, forwarding to %s", l, cfg.LoadBalancer.SSLPolicy, wantCertificate, s.physical[tgID])
			}
		default:
			t.Errorf("unexpected listener on port %d", l.Port)
		}
	}
	// A hardened load balancer listens for HTTPS only.
	if wantHTTP := !cfg.Hardened; found[80] != wantHTTP || !found[443] {
		t.Errorf("listeners on ports %v, want 443 and, unless hardened, 80", found)
	}

	var tgs struct {
		TargetGroups []struct {
			TargetType      string `xml:"TargetType"`
			Port            int    `xml:"Port"`
			HealthCheckPath string `xml:"HealthCheckPath"`
			VpcID           string `xml:"VpcId"`
		} `xml:"DescribeTargetGroupsResult>TargetGroups>member"`
	}
	// The group's port is the template's fixed default, whatever the
	// container port: ECS registers each task with the container port.
	decodeXML(t, m.Query(t, "elasticloadbalancing", "DescribeTargetGroups", url.Values{"TargetGroupArns.member.1": {s.physical[tgID]}}), &tgs)
	if len(tgs.TargetGroups) != 1 || tgs.TargetGroups[0].TargetType != "ip" || fmt.Sprint(tgs.TargetGroups[0].Port) != fmt.Sprint(tgPort) ||
		tgs.TargetGroups[0].HealthCheckPath != cfg.HealthCheck.Path || tgs.TargetGroups[0].VpcID != n.VpcID {
		t.Errorf("target groups = %+v, want one ip group %s on port %v checking %s in %s", tgs.TargetGroups, tgID, tgPort, cfg.HealthCheck.Path, n.VpcID)
	}

	cluster := s.physical["Cluster"]
	if cfg.Service.Cluster != "" {
		cluster = cfg.Service.Cluster
	}
	// moto's CloudFormation model of AWS::ECS::Service keeps the cluster,
	// task definition and desired count only; it drops LoadBalancers and
	// NetworkConfiguration (moto/ecs/models.py: "TODO: LoadBalancers"). The
	// template tests check those properties instead.
	var services struct {
		Services []struct {
			ServiceName    string `json:"serviceName"`
			Status         string `json:"status"`
			DesiredCount   int    `json:"desiredCount"`
			TaskDefinition string `json:"taskDefinition"`
		} `json:"services"`
	}
	m.JSON(t, "ecs", "DescribeServices", map[string]any{"cluster": cluster, "services": []string{s.physical["Service"]}}, &services)
	if len(services.Services) != 1 || services.Services[0].Status != "ACTIVE" {
		t.Fatalf("ECS services named %s in cluster %s = %+v, want one ACTIVE", s.physical["Service"], cluster, services.Services)
	}
	// With autoscaling the service has no DesiredCount; ECS then starts one
	// task where moto starts none, so only the fixed count is checked.
	if got := services.Services[0].DesiredCount; !cfg.Scaling.Enabled() && got != cfg.Service.DesiredCount {
		t.Errorf("desired count = %d, want %d", got, cfg.Service.DesiredCount)
	}

	// moto's CloudFormation model of AWS::ECS::TaskDefinition drops the
	// task-level Cpu and NetworkMode; the rest is checked.
	var task struct {
		TaskDefinition struct {
			Memory               string `json:"memory"`
			ContainerDefinitions []struct {
				Name         string `json:"name"`
				Image        string `json:"image"`
				PortMappings []struct {
					ContainerPort int `json:"containerPort"`
				} `json:"portMappings"`
				Environment []struct{ Name, Value string } `json:"environment"`
			} `json:"containerDefinitions"`
		} `json:"taskDefinition"`
	}
	m.JSON(t, "ecs", "DescribeTaskDefinition", map[string]any{"taskDefinition": s.physical["TaskDefinition"]}, &task)
	td := task.TaskDefinition
	if td.Memory != fmt.Sprint(cfg.Container.Memory) ||
		len(td.ContainerDefinitions) != 1 || td.ContainerDefinitions[0].Image != cfg.Container.Image ||
		len(td.ContainerDefinitions[0].PortMappings) != 1 || td.ContainerDefinitions[0].PortMappings[0].ContainerPort != cfg.Container.Port ||
		len(td.ContainerDefinitions[0].Environment) != len(cfg.Container.Environment) {
		t.Errorf("task definition = %+v, want memory %d, image %s on port %d with %d variables", td,
			cfg.Container.Memory, cfg.Container.Image, cfg.Container.Port, len(cfg.Container.Environment))
	}

	if cfg.Deployment.Progressive() {
		checkDelivery(t, m, s, cfg, s.physical[tgID], s.physical[tgID+"Alternate"])
	}
	if cfg.Hardened {
		checkHardened(t, m, s)
	}
	for _, role := range []string{"TaskRole", "ExecutionRole"} {
		out := m.Query(t, "iam", "GetRole", url.Values{"RoleName": {roleName(s.physical[role])}})
		doc, err := url.QueryUnescape(strings.Join(testenv.XMLValues(out, "AssumeRolePolicyDocument"), ""))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(doc, "ecs-tasks.amazonaws.com") {
			t.Errorf("%s trust policy does not name ecs-tasks.amazonaws.com: %s", role, doc)
		}
	}
}

// checkDelivery looks at what a blue/green strategy adds, through the
// services' APIs: the production listener rule forwards to both target
// groups, all traffic on the first, the infrastructure role trusts ECS, and the pause gate's parameter holds no answer.
func checkDelivery(t *testing.T, m *testenv.Moto, s motoStack, cfg stack.Config, primary, alternate string) {
	t.Helper()
	var rules struct {
		Rules []struct {
			RuleArn string `xml:"RuleArn"`
			Actions []struct {
				Type         string `xml:"Type"`
				TargetGroups []struct {
					TargetGroupArn string `xml:"TargetGroupArn"`
					Weight         int    `xml:"Weight"`
				} `xml:"ForwardConfig>TargetGroups>member"`
			} `xml:"Actions>member"`
		} `xml:"DescribeRulesResult>Rules>member"`
	}
	rule := s.physical["ProductionListenerRule"]
	decodeXML(t, m.Query(t, "elasticloadbalancing", "DescribeRules", url.Values{"RuleArns.member.1": {rule}}), &rules)
	if alternate == "" || len(rules.Rules) != 1 || len(rules.Rules[0].Actions) != 1 {
		t.Fatalf("production rule %s = %+v (alternate target group %q), want one rule forwarding to two target groups", rule, rules.Rules, alternate)
	}
	got := map[string]int{}
	for _, tg := range rules.Rules[0].Actions[0].TargetGroups {
		got[tg.TargetGroupArn] = tg.Weight
	}
	if want := map[string]int{primary: 100, alternate: 0}; !maps.Equal(got, want) {
		t.Errorf("production rule weights = %v, want %v", got, want)
	}

	role := roleName(s.physical["LoadBalancerInfrastructureRole"])
	out := m.Query(t, "iam", "GetRole", url.Values{"RoleName": {role}})
	trust, err := url.QueryUnescape(strings.Join(testenv.XMLValues(out, "AssumeRolePolicyDocument"), ""))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(trust, `"ecs.amazonaws.com"`) {
		t.Errorf("infrastructure role trust policy does not name ecs.amazonaws.com: %s", trust)
	}
	// moto's CloudFormation model of a role drops ManagedPolicyArns, and
	// moto loads no AWS managed policies by default: TestAWSRules checks the
	// attachment in the template instead.

	if cfg.Deployment.PauseBeforeProduction {
		var parameter struct {
			Parameter struct{ Name, Value string }
		}
		name := stack.GateParameterName(s.name)
		m.JSON(t, "ssm", "AmazonSSM.GetParameter", map[string]any{"Name": name}, &parameter)
		if parameter.Parameter.Value != "none" {
			t.Errorf("pause gate parameter %s = %q, want none (no answer yet)", name, parameter.Parameter.Value)
		}
	}
}

func decodeXML(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := xml.Unmarshal(body, v); err != nil {
		t.Fatalf("decode %T: %v\n%s", v, err, body)
	}
}

// roleName takes the name from a role's physical ID, which moto gives as a
// name and real CloudFormation as a name too; an ARN is cut to its last part.
func roleName(physical string) string {
	if i := strings.LastIndex(physical, "/"); i >= 0 {
		return physical[i+1:]
	}
	return physical
}

// TestSideBySide proves two stacks from one template, with different stack
// names, deploy together in one account and region: no physical name
// collides.
func TestSideBySide(t *testing.T) {
	m := testenv.SharedMoto(t)
	n := m.Seed(t)
	client := cfnClient(m)
	body := render(t, stack.Default(), false)
	params := networkParameters(n)
	a := createStack(t, client, "app-blue", body, params)
	b := createStack(t, client, "app-green", body, params)
	for id := range a.physical {
		if a.physical[id] == "" {
			continue // moto keeps some resource types without creating them
		}
		if a.physical[id] == b.physical[id] {
			t.Errorf("%s has the same physical ID in both stacks: %s", id, a.physical[id])
		}
	}
}
