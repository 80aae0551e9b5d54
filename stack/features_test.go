package stack_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/stack"
)

func variantConfig(t *testing.T, name string) stack.Config {
	t.Helper()
	for _, v := range allVariants() {
		if v.name == name {
			return v.cfg()
		}
	}
	t.Fatalf("no variant %s", name)
	return stack.Config{}
}

func hasResource(doc map[string]any, id string) bool {
	_, ok := doc["Resources"].(map[string]any)[id]
	return ok
}

// TestExecPermissions proves ECS Exec grants the ssmmessages actions to the
// task role only, on *, and turns on the init process.
func TestExecPermissions(t *testing.T) {
	doc := document(t, variantConfig(t, "exec"))
	assertEqual(t, "task role policy", at(t, props(t, doc, "TaskRole"), "Policies", 0, "PolicyDocument", "Statement"), []any{map[string]any{
		"Sid": "ExecSessions", "Effect": "Allow", "Resource": "*",
		"Action": []any{"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"},
	}})
	exec, _ := json.Marshal(props(t, doc, "ExecutionRole"))
	if strings.Contains(string(exec), "ssmmessages") {
		t.Error("the execution role got ECS Exec permissions; only the task role needs them")
	}
	assertEqual(t, "EnableExecuteCommand", props(t, doc, "Service")["EnableExecuteCommand"], true)
	assertEqual(t, "init process", at(t, props(t, doc, "TaskDefinition"), "ContainerDefinitions", 0, "LinuxParameters", "InitProcessEnabled"), true)
}

// TestSecretPermissions proves the execution role may read exactly the
// given secrets and parameters: a JSON-key reference is cut to the secret,
// and a partial secret ARN gets the six-character wildcard, nothing wider.
// Secrets given by name are ARNs of the stack's own region and account,
// and a parameter that references a Secrets Manager secret grants both.
func TestSecretPermissions(t *testing.T) {
	doc := document(t, variantConfig(t, "secrets"))
	statements := at(t, props(t, doc, "ExecutionRole"), "Policies", 0, "PolicyDocument", "Statement").([]any)
	sub := func(s string) map[string]any { return map[string]any{"Fn::Sub": s} }
	assertEqual(t, "secret statements", statements[1:], []any{
		map[string]any{"Sid": "ReadSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": []any{
			// prod/db-AbCdEf may be a full ARN or the partial ARN of a
			// secret named so: both forms are granted.
			sub("arn:${AWS::Partition}:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"),
			sub("arn:${AWS::Partition}:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf-??????"),
			sub("arn:${AWS::Partition}:secretsmanager:us-east-1:123456789012:secret:api-key-??????"),
			// secretsmanager:prod/admin:password:: and the secret behind
			// /aws/reference/secretsmanager/shared/token.
			sub("arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:prod/admin-??????"),
			sub("arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:shared/token-??????"),
		}},
		map[string]any{"Sid": "ReadParameters", "Effect": "Allow", "Action": "ssm:GetParameters", "Resource": []any{
			sub("arn:${AWS::Partition}:ssm:us-east-1:123456789012:parameter/app/flags"),
			// /prod/db/host and license, by name.
			sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/prod/db/host"),
			sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/license"),
			sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/aws/reference/secretsmanager/shared/token"),
		}},
	})
	secrets := at(t, props(t, doc, "TaskDefinition"), "ContainerDefinitions", 0, "Secrets").([]any)
	assertEqual(t, "container secret with JSON key", secrets[1], map[string]any{
		"Name": "DB_USER", "ValueFrom": sub("arn:${AWS::Partition}:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf:username::"),
	})
	assertEqual(t, "secret by name with JSON key", secrets[6], map[string]any{
		"Name": "DB_ADMIN", "ValueFrom": sub("arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:prod/admin:password::"),
	})
}

// TestSpot proves Spot replaces the launch type with a strategy, associates
// the providers with a new cluster before the service uses them, and leaves
// an existing cluster's associations alone.
func TestSpot(t *testing.T) {
	doc := document(t, variantConfig(t, "spot"))
	service := at(t, doc, "Resources", "Service").(map[string]any)
	if _, ok := service["Properties"].(map[string]any)["LaunchType"]; ok {
		t.Error("LaunchType is set with a capacity provider strategy; ECS rejects the pair")
	}
	assertEqual(t, "DependsOn", service["DependsOn"], []any{"HttpsListener", "ClusterCapacityProviders"})
	assertEqual(t, "strategy", props(t, doc, "Service")["CapacityProviderStrategy"], []any{
		map[string]any{"CapacityProvider": "FARGATE", "Base": 1, "Weight": 1},
		map[string]any{"CapacityProvider": "FARGATE_SPOT", "Weight": 3},
	})

	// Without Spot, the service still has a strategy, all on regular
	// Fargate, and the cluster both providers: turning Spot off is then a
	// strategy change, not the removal CloudFormation would ignore.
	doc = document(t, stack.Default())
	assertEqual(t, "strategy without Spot", props(t, doc, "Service")["CapacityProviderStrategy"], []any{
		map[string]any{"CapacityProvider": "FARGATE", "Weight": 1},
	})
	assertEqual(t, "providers without Spot", props(t, doc, "ClusterCapacityProviders")["CapacityProviders"], []any{"FARGATE", "FARGATE_SPOT"})
	if _, ok := props(t, doc, "Service")["LaunchType"]; ok {
		t.Error("LaunchType is set on a service in the stack's own cluster")
	}

	// --spot alone keeps one task on regular Fargate: Fargate never falls
	// back from Spot to on-demand capacity.
	cfg := stack.Default()
	cfg.Service.Spot.Enabled = true
	assertEqual(t, "spot alone", props(t, document(t, cfg), "Service")["CapacityProviderStrategy"], []any{
		map[string]any{"CapacityProvider": "FARGATE", "Base": 1, "Weight": 0},
		map[string]any{"CapacityProvider": "FARGATE_SPOT", "Weight": 1},
	})

	cfg = variantConfig(t, "spot")
	cfg.Service.Spot = stack.Spot{Enabled: true}
	cfg.Service.Cluster = "shared"
	doc = document(t, cfg)
	if hasResource(doc, "ClusterCapacityProviders") || hasResource(doc, "Cluster") {
		t.Error("an existing cluster must not get a new cluster or capacity provider associations")
	}
	assertEqual(t, "all on Spot", props(t, doc, "Service")["CapacityProviderStrategy"], []any{
		map[string]any{"CapacityProvider": "FARGATE_SPOT", "Weight": 1},
	})
	assertEqual(t, "cluster", props(t, doc, "Service")["Cluster"], "shared")
	assertEqual(t, "cluster output", at(t, doc, "Outputs", "ClusterName", "Value"), "shared")
}

// TestInternal proves an internal load balancer sits in the private subnets
// and takes traffic only from the allowed networks.
func TestInternal(t *testing.T) {
	doc := document(t, variantConfig(t, "internal"))
	lb := props(t, doc, "LoadBalancer")
	assertEqual(t, "scheme", lb["Scheme"], "internal")
	assertEqual(t, "subnets", lb["Subnets"], ref("PrivateSubnetIds"))
	var sources []string
	for _, r := range props(t, doc, "LoadBalancerSecurityGroup")["SecurityGroupIngress"].([]any) {
		sources = append(sources, cidrOf(r.(map[string]any)))
	}
	if slices.Contains(sources, "0.0.0.0/0") || slices.Contains(sources, "::/0") {
		t.Errorf("internal load balancer is open to anywhere: %v", sources)
	}
	assertEqual(t, "sources", sources, []string{"10.0.0.0/8", "fd00::/8", "10.0.0.0/8", "fd00::/8"})
}

// TestDomain proves the domain gets alias records, the certificate is
// created only when no ARN is given, and the URL output uses the domain.
func TestDomain(t *testing.T) {
	doc := document(t, variantConfig(t, "domain"))
	if hasResource(doc, "DnsRecordIpv6") {
		t.Error("an IPv4-only load balancer got an AAAA record")
	}
	dualstack := variantConfig(t, "domain")
	dualstack.LoadBalancer.DualStack = true
	for id, typ := range map[string]string{"DnsRecord": "A", "DnsRecordIpv6": "AAAA"} {
		p := props(t, document(t, dualstack), id)
		assertEqual(t, id+" type", p["Type"], typ)
		assertEqual(t, id+" alias", at(t, p, "AliasTarget", "DNSName"), map[string]any{"Fn::Sub": "dualstack.${LoadBalancer.DNSName}"})
	}
	assertEqual(t, "certificate condition", at(t, doc, "Resources", "Certificate", "Condition"), "CreateCertificate")
	assertEqual(t, "condition", at(t, doc, "Conditions", "CreateCertificate"), map[string]any{"Fn::Equals": []any{ref("CertificateArn"), ""}})
	assertEqual(t, "listener certificate", at(t, props(t, doc, "HttpsListener"), "Certificates", 0, "CertificateArn"),
		map[string]any{"Fn::If": []any{"CreateCertificate", ref("Certificate"), ref("CertificateArn")}})
	assertEqual(t, "optional parameter", at(t, doc, "Parameters", "CertificateArn", "Default"), "")
	assertEqual(t, "URL", at(t, doc, "Outputs", "ServiceURL", "Value"), "https://app.example.com")
}

// TestAutoscaling proves the scalable target and policies, that the
// service carries no DesiredCount that a deploy would reset the scaled
// count to, and that the bounds are the MinCount and MaxCount parameters
// whose Defaults are the settings (so `scale --min --max` can change them
// through a change set).
func TestAutoscaling(t *testing.T) {
	doc := document(t, variantConfig(t, "autoscaling"))
	if _, ok := props(t, doc, "Service")["DesiredCount"]; ok {
		t.Error("the service has a DesiredCount with autoscaling on")
	}
	if _, ok := doc["Parameters"].(map[string]any)["DesiredCount"]; ok {
		t.Error("the DesiredCount parameter is kept with autoscaling on, where nothing uses it")
	}
	target := props(t, doc, "ScalableTarget")
	assertEqual(t, "bounds", []any{target["MinCapacity"], target["MaxCapacity"]}, []any{ref("MinCount"), ref("MaxCount")})
	cfg := variantConfig(t, "autoscaling")
	assertEqual(t, "bound defaults", []any{at(t, doc, "Parameters", "MinCount", "Default"), at(t, doc, "Parameters", "MaxCount", "Default")},
		[]any{cfg.Scaling.MinCount, cfg.Scaling.MaxCount})
	assertEqual(t, "resource", target["ResourceId"], map[string]any{"Fn::Sub": "service/${Cluster}/${Service.Name}"})
	assertEqual(t, "cpu metric", at(t, props(t, doc, "CpuScalingPolicy"), "TargetTrackingScalingPolicyConfiguration", "PredefinedMetricSpecification", "PredefinedMetricType"), "ECSServiceAverageCPUUtilization")
	assertEqual(t, "request label", at(t, props(t, doc, "RequestCountScalingPolicy"), "TargetTrackingScalingPolicyConfiguration", "PredefinedMetricSpecification", "ResourceLabel"),
		map[string]any{"Fn::Sub": "${LoadBalancer.LoadBalancerFullName}/${TargetGroup.TargetGroupFullName}"})
}

// TestTagsEverywhere proves a tag reaches every resource type that takes
// Tags in goformation's model, and none of the others.
func TestTagsEverywhere(t *testing.T) {
	doc := document(t, everything())
	untaggable := map[string]bool{
		"AWS::EC2::SecurityGroupIngress": true, "AWS::EC2::SecurityGroupEgress": true,
		"AWS::ElasticLoadBalancingV2::Listener": true, "AWS::Route53::RecordSet": true,
		"AWS::WAFv2::WebACLAssociation": true, "AWS::ECS::ClusterCapacityProviderAssociations": true,
		"AWS::ApplicationAutoScaling::ScalableTarget": true, "AWS::ApplicationAutoScaling::ScalingPolicy": true,
	}
	for id, r := range doc["Resources"].(map[string]any) {
		typ := r.(map[string]any)["Type"].(string)
		_, tagged := r.(map[string]any)["Properties"].(map[string]any)["Tags"]
		if tagged == untaggable[typ] {
			t.Errorf("%s (%s): tagged = %v", id, typ, tagged)
		}
	}
}

// TestCapabilities proves a template asks only for the capabilities it
// needs: ours have unnamed roles, so CAPABILITY_IAM; a named role needs
// CAPABILITY_NAMED_IAM; no IAM resource needs none.
func TestCapabilities(t *testing.T) {
	assertEqual(t, "ours", stack.Capabilities(document(t, stack.Default())), []string{"CAPABILITY_IAM"})
	named := map[string]any{"Resources": map[string]any{"R": map[string]any{"Type": "AWS::IAM::Role", "Properties": map[string]any{"RoleName": "x"}}}}
	assertEqual(t, "named", stack.Capabilities(named), []string{"CAPABILITY_NAMED_IAM"})
	none := map[string]any{"Resources": map[string]any{"Q": map[string]any{"Type": "AWS::SQS::Queue"}}}
	if got := stack.Capabilities(none); got != nil {
		t.Errorf("no IAM: got %v, want none", got)
	}
}

// TestWritablePaths proves a read-only container gets a task volume on the
// task's storage and a mount point for each writable path, /tmp by default,
// and a writable root filesystem gets none.
func TestWritablePaths(t *testing.T) {
	if _, ok := props(t, document(t, stack.Default()), "TaskDefinition")["Volumes"]; ok {
		t.Error("a writable root filesystem has volumes")
	}

	cfg := stack.Default()
	cfg.Container.ReadOnlyRootFilesystem = true
	doc := document(t, cfg)
	assertEqual(t, "default volumes", props(t, doc, "TaskDefinition")["Volumes"], []any{map[string]any{"Name": "writable-tmp"}})
	assertEqual(t, "default mounts", at(t, props(t, doc, "TaskDefinition"), "ContainerDefinitions", 0, "MountPoints"), []any{
		map[string]any{"ContainerPath": "/tmp", "SourceVolume": "writable-tmp", "ReadOnly": false},
	})

	cfg.Container.WritablePaths = []string{"/var/cache/nginx", "/var/run", "/var.run", "/var-run"}
	doc = document(t, cfg)
	assertEqual(t, "volumes", props(t, doc, "TaskDefinition")["Volumes"], []any{
		map[string]any{"Name": "writable-var-cache-nginx"},
		map[string]any{"Name": "writable-var-run"},
		map[string]any{"Name": "writable-var-run-2"},
		map[string]any{"Name": "writable-var-run-3"},
	})
	mounts := at(t, props(t, doc, "TaskDefinition"), "ContainerDefinitions", 0, "MountPoints").([]any)
	assertEqual(t, "last mount", mounts[3], map[string]any{"ContainerPath": "/var-run", "SourceVolume": "writable-var-run-3", "ReadOnly": false})
}
