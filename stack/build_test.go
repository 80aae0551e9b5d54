package stack_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/format"
)

// document builds cfg into a plain template tree.
func document(t testing.TB, cfg stack.Config) format.Document {
	t.Helper()
	doc, err := stack.Build(cfg)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return doc
}

// document builds v's template, an environment's or a service's.
func (v variant) document(t testing.TB) format.Document {
	t.Helper()
	if v.parameters != nil {
		plain := v
		plain.parameters = nil
		return instantiate(t, plain.document(t), v.parameters)
	}
	if !v.environment {
		return document(t, v.cfg())
	}
	doc, err := stack.BuildEnvironment(v.cfg())
	if err != nil {
		t.Fatalf("BuildEnvironment: %v", err)
	}
	return doc
}

// at walks doc along path: map keys, or list indexes as numbers.
func at(t *testing.T, doc any, path ...any) any {
	t.Helper()
	cur := doc
	for i, step := range path {
		switch s := step.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				t.Fatalf("at %v: not a map", path[:i+1])
			}
			if cur, ok = m[s]; !ok {
				t.Fatalf("at %v: no such key", path[:i+1])
			}
		case int:
			l, ok := cur.([]any)
			if !ok || s >= len(l) {
				t.Fatalf("at %v: not a list of more than %d items", path[:i+1], s)
			}
			cur = l[s]
		}
	}
	return cur
}

func props(t *testing.T, doc format.Document, id string) map[string]any {
	t.Helper()
	return at(t, doc, "Resources", id, "Properties").(map[string]any)
}

func ref(name string) map[string]any { return map[string]any{"Ref": name} }

func getAtt(resource, attribute string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{resource, attribute}}
}

func assertEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(normalize(got), normalize(want)) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// normalize makes json.Number and Go ints comparable.
func normalize(v any) any {
	raw, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(raw, &out)
	return out
}

// TestServiceWiring proves the seed's service bugs are fixed: the grace
// period is on the service, the service waits for the listener that
// forwards to its target group (the HTTPS one, or the HTTP one without a
// certificate), and its subnets are the list parameters themselves,
// chosen by AssignPublicIp.
func TestServiceWiring(t *testing.T) {
	doc := document(t, stack.Default())
	for certificate, listener := range map[string]string{exampleCertificate: "HttpsListener", "": "HttpListener"} {
		built := instantiate(t, doc, map[string]string{"CertificateArn": certificate})
		service := at(t, built, "Resources", "Service").(map[string]any)
		waitsFor := map[string]bool{}
		collectReferences(service, waitsFor)
		for _, d := range service["DependsOn"].([]any) {
			waitsFor[d.(string)] = true
		}
		if !waitsFor[listener] || !waitsFor["ClusterCapacityProviders"] {
			t.Errorf("CertificateArn %q: the service does not wait for %s and ClusterCapacityProviders: %v", certificate, listener, service)
		}
	}

	p := props(t, doc, "Service")
	assertEqual(t, "HealthCheckGracePeriodSeconds", p["HealthCheckGracePeriodSeconds"], 60)
	assertEqual(t, "DesiredCount", p["DesiredCount"], ref("DesiredCount"))
	assertEqual(t, "circuit breaker", at(t, p, "DeploymentConfiguration", "DeploymentCircuitBreaker"),
		map[string]any{"Enable": true, "Rollback": true})
	assertEqual(t, "Subnets", at(t, p, "NetworkConfiguration", "AwsvpcConfiguration", "Subnets"),
		map[string]any{"Fn::If": []any{"PublicTasks", ref("PublicSubnetIds"), ref("PrivateSubnetIds")}})
	assertEqual(t, "AssignPublicIp", at(t, p, "NetworkConfiguration", "AwsvpcConfiguration", "AssignPublicIp"), ref("AssignPublicIp"))
	assertEqual(t, "PublicTasks condition", at(t, doc, "Conditions", "PublicTasks"),
		map[string]any{"Fn::Equals": []any{ref("AssignPublicIp"), "ENABLED"}})

	container := at(t, props(t, doc, "TaskDefinition"), "ContainerDefinitions", 0).(map[string]any)
	if _, ok := container["HealthCheckGracePeriodSeconds"]; ok {
		t.Error("the container definition has HealthCheckGracePeriodSeconds, which ECS ignores there")
	}
	assertEqual(t, "load balancer Subnets", props(t, doc, "LoadBalancer")["Subnets"], ref("PublicSubnetIds"))
}

// TestPublicTasksDefault proves --public-tasks only flips the parameter's
// default; the condition still decides at deploy time.
func TestPublicTasksDefault(t *testing.T) {
	for _, public := range []bool{false, true} {
		cfg := stack.Default()
		cfg.Service.PublicTasks = public
		want := map[bool]string{false: "DISABLED", true: "ENABLED"}[public]
		assertEqual(t, "AssignPublicIp default", at(t, document(t, cfg), "Parameters", "AssignPublicIp", "Default"), want)
	}
}

// exampleCertificate is a certificate ARN for parameter values.
const exampleCertificate = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"

// TestListeners proves that with a certificate HTTP redirects permanently
// to HTTPS, and HTTPS uses the certificate parameter and the TLS 1.3
// policy; and that without one the HTTP listener forwards to the target
// group, there is no HTTPS listener, and the outputs say that traffic is
// not encrypted.
func TestListeners(t *testing.T) {
	doc := instantiate(t, document(t, stack.Default()), map[string]string{"CertificateArn": exampleCertificate})
	redirect := at(t, props(t, doc, "HttpListener"), "DefaultActions", 0).(map[string]any)
	assertEqual(t, "redirect type", redirect["Type"], "redirect")
	assertEqual(t, "redirect status", at(t, redirect, "RedirectConfig", "StatusCode"), "HTTP_301")
	assertEqual(t, "redirect protocol", at(t, redirect, "RedirectConfig", "Protocol"), "HTTPS")
	assertEqual(t, "redirect port", at(t, redirect, "RedirectConfig", "Port"), "443")

	https := props(t, doc, "HttpsListener")
	assertEqual(t, "certificate", at(t, https, "Certificates", 0, "CertificateArn"), ref("CertificateArn"))
	assertEqual(t, "ssl policy", https["SslPolicy"], stack.DefaultSSLPolicy)
	if _, ok := at(t, doc, "Outputs").(map[string]any)["HttpOnly"]; ok {
		t.Error("with a certificate the outputs say the traffic is not encrypted")
	}
	assertEqual(t, "ServiceURL", at(t, doc, "Outputs", "ServiceURL", "Value"), map[string]any{"Fn::Sub": "https://${LoadBalancer.DNSName}"})

	plain := instantiate(t, document(t, stack.Default()), map[string]string{"CertificateArn": ""})
	assertEqual(t, "HTTP only: the HTTP listener's action", props(t, plain, "HttpListener")["DefaultActions"],
		[]any{map[string]any{"Type": "forward", "TargetGroupArn": ref("TargetGroup")}})
	if _, ok := at(t, plain, "Resources").(map[string]any)["HttpsListener"]; ok {
		t.Error("HTTP only: the template still has an HTTPS listener, which needs a certificate")
	}
	if says, _ := at(t, plain, "Outputs", "HttpOnly", "Value").(string); !strings.Contains(says, "not encrypted") || !strings.Contains(says, "CertificateArn") {
		t.Errorf("HTTP only: the HttpOnly output %q does not say the traffic is not encrypted and how to add HTTPS", says)
	}
	assertEqual(t, "HTTP only: ServiceURL", at(t, plain, "Outputs", "ServiceURL", "Value"), map[string]any{"Fn::Sub": "http://${LoadBalancer.DNSName}"})
	if !slices.Contains(stack.SSLPolicies, stack.DefaultSSLPolicy) {
		t.Errorf("the default policy %s is not among the known ones", stack.DefaultSSLPolicy)
	}
	assertEqual(t, "forward", at(t, https, "DefaultActions", 0, "TargetGroupArn"), ref("TargetGroup"))

	lb := props(t, doc, "LoadBalancer")
	assertEqual(t, "ALB attributes", lb["LoadBalancerAttributes"],
		[]any{map[string]any{"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"}})
	assertEqual(t, "target type", props(t, doc, "TargetGroup")["TargetType"], "ip")
}

// TestSecurityGroups proves the load balancer can reach the tasks only on
// the container port, and nothing else can reach the tasks.
func TestSecurityGroups(t *testing.T) {
	cfg := stack.Default()
	cfg.Container.Port = 8080
	doc := document(t, cfg)

	albEgress := props(t, doc, "LoadBalancerSecurityGroup")["SecurityGroupEgress"].([]any)
	if len(albEgress) != 1 || at(t, albEgress, 0, "CidrIp") != "255.255.255.255/32" {
		t.Errorf("load balancer group must keep only the no-traffic placeholder egress rule, got %v", albEgress)
	}
	var ingressPorts []string
	for _, rule := range props(t, doc, "LoadBalancerSecurityGroup")["SecurityGroupIngress"].([]any) {
		r := rule.(map[string]any)
		ingressPorts = append(ingressPorts, string(r["FromPort"].(json.Number))+"/"+cidrOf(r))
	}
	slices.Sort(ingressPorts)
	assertEqual(t, "load balancer ingress", ingressPorts, []string{"443/0.0.0.0/0", "443/::/0", "80/0.0.0.0/0", "80/::/0"})

	egress := props(t, doc, "LoadBalancerToTasksEgress")
	assertEqual(t, "egress target", egress["DestinationSecurityGroupId"], getAtt("TaskSecurityGroup", "GroupId"))
	assertEqual(t, "egress ports", []any{egress["FromPort"], egress["ToPort"]}, []any{8080, 8080})

	ingress := props(t, doc, "TaskFromLoadBalancerIngress")
	assertEqual(t, "ingress source", ingress["SourceSecurityGroupId"], getAtt("LoadBalancerSecurityGroup", "GroupId"))
	assertEqual(t, "ingress group", ingress["GroupId"], getAtt("TaskSecurityGroup", "GroupId"))
	assertEqual(t, "ingress ports", []any{ingress["FromPort"], ingress["ToPort"]}, []any{8080, 8080})
	if _, ok := props(t, doc, "TaskSecurityGroup")["SecurityGroupIngress"]; ok {
		t.Error("task security group has inline ingress; only the rule from the load balancer is allowed")
	}
}

func cidrOf(rule map[string]any) string {
	if c, ok := rule["CidrIp"].(string); ok {
		return c
	}
	c, _ := rule["CidrIpv6"].(string)
	return c
}

// TestIAMLeastPrivilege proves the roles trust only ECS tasks, the task role
// has no permissions, logs are scoped to the stack's log group, and ECR pull
// permissions appear only for an ECR image, scoped to its repository.
func TestIAMLeastPrivilege(t *testing.T) {
	trust := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "ecs-tasks.amazonaws.com"},
			"Action":    "sts:AssumeRole",
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": ref("AWS::AccountId")}},
		}},
	}
	logs := map[string]any{
		"Sid": "WriteLogs", "Effect": "Allow",
		"Action":   []any{"logs:CreateLogStream", "logs:PutLogEvents"},
		"Resource": getAtt("LogGroup", "Arn"),
	}
	tests := []struct {
		name       string
		image      string
		statements []any
	}{
		{"public image", "nginx:latest", []any{logs}},
		{"ECR image", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:v1", []any{logs,
			map[string]any{
				"Sid": "PullImage", "Effect": "Allow",
				"Action":   []any{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"},
				"Resource": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:ecr:eu-west-1:123456789012:repository/team/api"},
			},
			map[string]any{"Sid": "GetRegistryToken", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
		}},
		{"ECR image in China by digest", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/api@sha256:" + strings.Repeat("a", 64), []any{logs,
			map[string]any{
				"Sid": "PullImage", "Effect": "Allow",
				"Action":   []any{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"},
				"Resource": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:ecr:cn-north-1:123456789012:repository/api"},
			},
			map[string]any{"Sid": "GetRegistryToken", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := stack.Default()
			cfg.Container.Image = tt.image
			doc := document(t, cfg)
			task := props(t, doc, "TaskRole")
			assertEqual(t, "task role trust", task["AssumeRolePolicyDocument"], trust)
			for _, k := range []string{"Policies", "ManagedPolicyArns"} {
				if _, ok := task[k]; ok {
					t.Errorf("task role has %s; it must have no permissions", k)
				}
			}
			exec := props(t, doc, "ExecutionRole")
			assertEqual(t, "execution role trust", exec["AssumeRolePolicyDocument"], trust)
			if _, ok := exec["ManagedPolicyArns"]; ok {
				t.Error("execution role has managed policies; AmazonECSTaskExecutionRolePolicy grants logs and ECR on *")
			}
			assertEqual(t, "execution policy", at(t, exec, "Policies", 0, "PolicyDocument", "Statement"), tt.statements)
		})
	}
}

// TestNoFixedNamesOrPartition proves no resource has a fixed physical name
// that would collide between two stacks or block a replacement, and that no
// ARN is written for the aws partition only.
func TestNoFixedNamesOrPartition(t *testing.T) {
	fixedNames := []string{"Name", "RoleName", "GroupName", "ClusterName", "ServiceName", "LoadBalancerName"}
	for _, v := range allVariants() {
		doc := document(t, v.cfg())
		for id, r := range doc["Resources"].(map[string]any) {
			p, _ := r.(map[string]any)["Properties"].(map[string]any)
			if strings.HasPrefix(id, "DnsRecord") {
				continue // a DNS record's Name is the domain itself
			}
			for _, k := range fixedNames {
				if name, ok := p[k]; ok && !(id == "PauseGateParameter" && strings.Contains(fmt.Sprint(name), "${AWS::StackName}")) {
					// The gate's parameter is named after its stack, so that
					// the deploy command can find it; no other stack has the
					// name, and nothing in it ever changes to replace it.
					t.Errorf("%s: %s has a fixed %s", v.name, id, k)
				}
			}
		}
		raw, _ := json.Marshal(doc["Resources"])
		if strings.Contains(string(raw), "arn:aws:") {
			t.Errorf("%s: resources contain an arn:aws: literal; use ${AWS::Partition}", v.name)
		}
		for _, id := range []string{"LogGroup", "TaskDefinition"} {
			name, _ := json.Marshal(props(t, doc, id))
			if !strings.Contains(string(name), "${AWS::StackName}") {
				t.Errorf("%s: %s name does not include the stack name: %s", v.name, id, name)
			}
		}
	}
}

// TestIntrinsicsNotEvaluated proves pseudo parameters stay references: the
// goformation pitfall would turn !Ref AWS::Region into "us-east-1".
func TestIntrinsicsNotEvaluated(t *testing.T) {
	doc := document(t, stack.Default())
	options := at(t, props(t, doc, "TaskDefinition"), "ContainerDefinitions", 0, "LogConfiguration", "Options")
	assertEqual(t, "awslogs options", options, map[string]any{
		"awslogs-group":         ref("LogGroup"),
		"awslogs-region":        ref("AWS::Region"),
		"awslogs-stream-prefix": "ecs",
	})
	// goformation's evaluator resolves AWS::Region to us-east-1.
	raw, _ := json.Marshal(doc["Resources"])
	if strings.Contains(string(raw), "us-east-1") {
		t.Error("resources contain us-east-1: an intrinsic was evaluated")
	}
}

// TestParametersAndConsole proves the template has exactly the documented
// parameters, and that the console metadata groups and labels every one.
func TestParametersAndConsole(t *testing.T) {
	doc := document(t, stack.Default())
	want := map[string]string{
		"VpcId":            "AWS::EC2::VPC::Id",
		"PublicSubnetIds":  "List<AWS::EC2::Subnet::Id>",
		"PrivateSubnetIds": "List<AWS::EC2::Subnet::Id>",
		"CertificateArn":   "String",
		"ContainerImage":   "String",
		"DesiredCount":     "Number",
		"AssignPublicIp":   "String",
	}
	params := doc["Parameters"].(map[string]any)
	got := map[string]string{}
	for name, p := range params {
		got[name] = p.(map[string]any)["Type"].(string)
	}
	assertEqual(t, "parameters", got, want)

	iface := at(t, doc, "Metadata", "AWS::CloudFormation::Interface")
	grouped := map[string]bool{}
	for _, g := range at(t, iface, "ParameterGroups").([]any) {
		for _, p := range g.(map[string]any)["Parameters"].([]any) {
			grouped[p.(string)] = true
		}
	}
	labels := at(t, iface, "ParameterLabels").(map[string]any)
	for name := range want {
		if !grouped[name] {
			t.Errorf("parameter %s is in no ParameterGroup", name)
		}
		if _, ok := labels[name]; !ok {
			t.Errorf("parameter %s has no ParameterLabel", name)
		}
	}

	var outputs []string
	for name := range doc["Outputs"].(map[string]any) {
		outputs = append(outputs, name)
	}
	slices.Sort(outputs)
	assertEqual(t, "outputs", outputs, []string{"ClusterName", "HttpOnly", "LoadBalancerDNSName", "LogGroupName", "ServiceName", "ServiceURL"})
}

// TestFastHealthChecks proves the default target-group health check puts a
// new task in service and takes a hung one out quickly: a new target is
// healthy after its first passing check, and an unhealthy one is out after
// UnhealthyThreshold failed checks, each up to an interval apart plus the
// timeout (ECS developer guide, "Optimize load balancer health check
// parameters"). AWS's own defaults take minutes; the bounds here are the
// ones the README promises.
func TestFastHealthChecks(t *testing.T) {
	tg := props(t, document(t, stack.Default()), "TargetGroup")
	var interval, timeout, healthy, unhealthy int
	for field, dst := range map[string]*int{
		"HealthCheckIntervalSeconds": &interval, "HealthCheckTimeoutSeconds": &timeout,
		"HealthyThresholdCount": &healthy, "UnhealthyThresholdCount": &unhealthy,
	} {
		if _, err := fmt.Sscan(fmt.Sprint(tg[field]), dst); err != nil {
			t.Fatalf("%s = %v: %v", field, tg[field], err)
		}
	}
	if toHealthy := interval; toHealthy > 15 {
		t.Errorf("a new task waits up to %d s for its first check; want at most 15", toHealthy)
	}
	if toDetect := unhealthy*interval + timeout; toDetect > 60 {
		t.Errorf("a hung task keeps traffic for up to %d s; want at most 60", toDetect)
	}
	if healthy > 2 {
		t.Errorf("a recovering task needs %d passing checks; want 2", healthy)
	}
}

// TestDefaultImage proves the built-in image is not pulled anonymously from
// Docker Hub, whose pulls are rate-limited per source IP, and is not the
// moving "latest" tag.
func TestDefaultImage(t *testing.T) {
	image := stack.Default().Container.Image
	host, rest, ok := strings.Cut(image, "/")
	if !ok || !strings.Contains(host, ".") || host == "docker.io" || host == "registry-1.docker.io" {
		t.Errorf("default image %s comes from Docker Hub", image)
	}
	if _, tag, _ := strings.Cut(rest, ":"); tag == "" || tag == "latest" {
		t.Errorf("default image %s has a moving tag", image)
	}
}

// TestServiceURLSaysWhenTheCertificateCannotMatch proves the ServiceURL
// output on the load balancer's own name says the certificate does not
// cover it, and the domain's URL does not.
func TestServiceURLSaysWhenTheCertificateCannotMatch(t *testing.T) {
	bare := at(t, document(t, stack.Default()), "Outputs", "ServiceURL", "Description").(string)
	if !strings.Contains(bare, "certificate does not cover") {
		t.Errorf("ServiceURL without a domain: %q does not warn about the certificate", bare)
	}
	domain := at(t, document(t, variantConfig(t, "domain")), "Outputs", "ServiceURL", "Description").(string)
	if strings.Contains(domain, "certificate") {
		t.Errorf("ServiceURL with a domain warns about the certificate: %q", domain)
	}
}
