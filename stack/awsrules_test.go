package stack_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/format"
)

// awsRule is one constraint that an AWS service enforces when CloudFormation
// calls it, and that neither cfn-lint nor moto checks: a template that
// breaks it passes both and still fails on AWS. Each names its source.
type awsRule struct {
	name   string
	source string
	// check returns one line per violation in the template.
	check func(doc format.Document) []string
}

var (
	// ec2Description is the character set EC2 allows in a security group's
	// GroupDescription and in a rule's Description, up to 255 characters.
	ec2Description = regexp.MustCompile(`^[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]{0,255}$`)
	// iamDescription is the pattern of an IAM role's Description.
	iamDescription = regexp.MustCompile(`^[\x{0009}\x{000A}\x{000D}\x{0020}-\x{007E}\x{00A1}-\x{00FF}]*$`)
	// tagCharacters are the characters AWS allows in tag keys and values
	// across services.
	tagCharacters = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	// elbName is a load balancer's or target group's Name.
	elbName = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$`)
	// ecsName is the character set of an ECS task family, container name
	// and volume name, up to 255.
	ecsName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	// logGroupName is the character set of a CloudWatch Logs group name.
	logGroupName = regexp.MustCompile(`^[.\-_/#A-Za-z0-9]{1,512}$`)
)

// awsRules are the deploy-time rules every template must keep.
var awsRules = []awsRule{
	{
		name:   "security group descriptions",
		source: "EC2 API reference, CreateSecurityGroup (GroupDescription) and IpRange / Ipv6Range / UserIdGroupPair (Description): up to 255 characters of a-zA-Z0-9, spaces and ._-:/()#,@[]+=&;{}!$*; cfn-lint issue #173",
		check: func(doc format.Document) []string {
			var bad []string
			checkText := func(where string, v any) {
				if s, ok := v.(string); ok && !ec2Description.MatchString(s) {
					bad = append(bad, fmt.Sprintf("%s %q has characters EC2 rejects, or is over 255", where, s))
				}
			}
			for id, props := range resourcesOfType(doc, "AWS::EC2::SecurityGroup") {
				checkText(id+".GroupDescription", props["GroupDescription"])
				for _, list := range []string{"SecurityGroupIngress", "SecurityGroupEgress"} {
					rules, _ := props[list].([]any)
					for i, r := range rules {
						rule, _ := r.(map[string]any)
						checkText(fmt.Sprintf("%s.%s[%d].Description", id, list, i), rule["Description"])
					}
				}
			}
			for _, typ := range []string{"AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"} {
				for id, props := range resourcesOfType(doc, typ) {
					checkText(id+".Description", props["Description"])
				}
			}
			return bad
		},
	},
	{
		name:   "IAM role descriptions",
		source: "IAM API reference, CreateRole (Description): up to 1000 characters matching [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*",
		check: func(doc format.Document) []string {
			var bad []string
			for id, props := range resourcesOfType(doc, "AWS::IAM::Role") {
				s, ok := props["Description"].(string)
				if ok && (!iamDescription.MatchString(s) || utf8.RuneCountInString(s) > 1000) {
					bad = append(bad, fmt.Sprintf("%s.Description %q has characters IAM rejects, or is over 1000", id, s))
				}
			}
			return bad
		},
	},
	{
		name:   "tags",
		source: "Tagging AWS resources, \"Tag naming limits and requirements\": keys 1-128 and values 0-256 characters of letters, digits, spaces and _.:/=+-@, no aws: prefix; ECS TagResource: 50 tags per resource, with ECS's managed tags",
		check: func(doc format.Document) []string {
			var bad []string
			for id, r := range resources(doc) {
				props, _ := r["Properties"].(map[string]any)
				tags, _ := props["Tags"].([]any)
				if strings.HasPrefix(r["Type"].(string), "AWS::ECS::") && len(tags) > 40 {
					bad = append(bad, fmt.Sprintf("%s has %d tags: ECS adds its own managed tags within a limit of 50", id, len(tags)))
				}
				for _, tag := range tags {
					kv, _ := tag.(map[string]any)
					key, _ := kv["Key"].(string)
					value, _ := kv["Value"].(string)
					switch {
					case key == "" || utf8.RuneCountInString(key) > 128 || utf8.RuneCountInString(value) > 256:
						bad = append(bad, fmt.Sprintf("%s tag %q=%q is too long or has no key", id, key, value))
					case strings.HasPrefix(strings.ToLower(key), "aws:"):
						bad = append(bad, fmt.Sprintf("%s tag %q uses the reserved aws: prefix", id, key))
					case !tagCharacters.MatchString(key) || !tagCharacters.MatchString(value):
						bad = append(bad, fmt.Sprintf("%s tag %q=%q has characters AWS rejects", id, key, value))
					}
				}
			}
			return bad
		},
	},
	{
		name:   "load balancer and target group names",
		source: "ELB API reference, CreateLoadBalancer and CreateTargetGroup (Name): up to 32 alphanumeric characters or hyphens, not starting or ending with a hyphen; a load balancer's not starting with internal-",
		check: func(doc format.Document) []string {
			var bad []string
			for _, typ := range []string{"AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::TargetGroup"} {
				for id, props := range resourcesOfType(doc, typ) {
					name, ok := props["Name"]
					if !ok {
						continue // CloudFormation generates a valid one
					}
					s, literal := name.(string)
					if !literal || !elbName.MatchString(s) || (strings.HasSuffix(typ, "LoadBalancer") && strings.HasPrefix(s, "internal-")) {
						bad = append(bad, fmt.Sprintf("%s.Name %v is not a valid ELB name of at most 32 characters", id, name))
					}
				}
			}
			return bad
		},
	},
	{
		name:   "no empty environment values",
		source: "ECS drops an environment entry whose value is empty when it registers the task definition (terraform-provider-aws #39533, amazon-ecs-deploy-task-definition #224)",
		check: func(doc format.Document) []string {
			var bad []string
			for id, c := range containers(doc) {
				env, _ := c["Environment"].([]any)
				for _, e := range env {
					kv, _ := e.(map[string]any)
					if v, ok := kv["Value"]; !ok || v == "" {
						bad = append(bad, fmt.Sprintf("%s: environment variable %v has an empty value", id, kv["Name"]))
					}
				}
			}
			return bad
		},
	},
	{
		name:   "environment and secret names unique",
		source: "ECS RegisterTaskDefinition rejects a container whose environment and secrets name the same variable twice (ContainerDefinition, environment and secrets)",
		check: func(doc format.Document) []string {
			var bad []string
			for id, c := range containers(doc) {
				seen := map[any]bool{}
				for _, list := range []string{"Environment", "Secrets"} {
					items, _ := c[list].([]any)
					for _, item := range items {
						name := item.(map[string]any)["Name"]
						if seen[name] {
							bad = append(bad, fmt.Sprintf("%s: variable %v is set twice", id, name))
						}
						seen[name] = true
					}
				}
			}
			return bad
		},
	},
	{
		name:   "secrets readable, and nothing more",
		source: "ECS developer guide, \"Amazon ECS task execution IAM role\" (secrets: ssm:GetParameters and secretsmanager:GetSecretValue on the parameters and secrets the task definition references); SSM user guide, \"Referencing AWS Secrets Manager secrets from Parameter Store parameters\" (Parameter Store honors the secret's own permissions); Secrets Manager user guide, IAM policy examples (a partial ARN matches with -??????)",
		check: func(doc format.Document) []string {
			var bad []string
			for id, props := range resourcesOfType(doc, "AWS::ECS::TaskDefinition") {
				needParams, needSecrets := map[string]bool{}, map[string]bool{}
				defs, _ := props["ContainerDefinitions"].([]any)
				for _, d := range defs {
					secrets, _ := d.(map[string]any)["Secrets"].([]any)
					for _, s := range secrets {
						arn, ok := secretARNText(s.(map[string]any)["ValueFrom"])
						if !ok {
							bad = append(bad, fmt.Sprintf("%s: secret %v has no ARN a role can name", id, s))
							continue
						}
						service, base, rest := splitSecretARN(arn)
						switch service {
						case "ssm":
							needParams[base] = true
							if name, ok := strings.CutPrefix(rest, "parameter/aws/reference/secretsmanager/"); ok {
								needSecrets[strings.Replace(strings.TrimSuffix(base, rest), ":ssm:", ":secretsmanager:", 1)+"secret:"+name] = true
							}
						case "secretsmanager":
							needSecrets[base] = true
						default:
							bad = append(bad, fmt.Sprintf("%s: secret %s is neither SSM nor Secrets Manager", id, arn))
						}
					}
				}
				grantParams, grantSecrets := roleGrants(doc, props["ExecutionRoleArn"])
				for p := range needParams {
					if !grantParams[p] {
						bad = append(bad, fmt.Sprintf("%s: the execution role may not read the parameter %s", id, p))
					}
				}
				for s := range needSecrets {
					if !grantSecrets[s] && !grantSecrets[s+"-??????"] {
						bad = append(bad, fmt.Sprintf("%s: the execution role may not read the secret %s", id, s))
					}
				}
				for p := range grantParams {
					if !needParams[p] || strings.ContainsAny(p, "*?") {
						bad = append(bad, fmt.Sprintf("%s: the execution role may read the parameter %s, which no container reads", id, p))
					}
				}
				for s := range grantSecrets {
					base := strings.TrimSuffix(s, "-??????")
					if !needSecrets[base] || strings.ContainsAny(base, "*?") {
						bad = append(bad, fmt.Sprintf("%s: the execution role may read the secret %s, which no container reads", id, s))
					}
				}
			}
			return bad
		},
	},
	{
		name:   "read-only root filesystem has a writable mount",
		source: "ECS task definition ReadonlyRootFilesystem; the official nginx image's \"Running nginx in read-only mode\" (it needs /var/cache/nginx and /var/run), and most images write to /tmp; a MountPoint's SourceVolume must name a task Volume (RegisterTaskDefinition)",
		check: func(doc format.Document) []string {
			var bad []string
			for id, props := range resourcesOfType(doc, "AWS::ECS::TaskDefinition") {
				volumes := map[any]bool{}
				list, _ := props["Volumes"].([]any)
				for _, v := range list {
					volumes[v.(map[string]any)["Name"]] = true
				}
				defs, _ := props["ContainerDefinitions"].([]any)
				for _, d := range defs {
					c := d.(map[string]any)
					mounts, _ := c["MountPoints"].([]any)
					if c["ReadonlyRootFilesystem"] == true && len(mounts) == 0 {
						bad = append(bad, fmt.Sprintf("%s container %v: read-only root filesystem with no writable mount point", id, c["Name"]))
					}
					for _, m := range mounts {
						mp := m.(map[string]any)
						if !volumes[mp["SourceVolume"]] {
							bad = append(bad, fmt.Sprintf("%s container %v: mount point %v names no task volume", id, c["Name"], mp["SourceVolume"]))
						}
					}
				}
			}
			return bad
		},
	},
	{
		name:   "ECS names",
		source: "ECS API reference, RegisterTaskDefinition (family), ContainerDefinition (name) and Volume (name): up to 255 letters, digits, hyphens and underscores",
		check: func(doc format.Document) []string {
			var bad []string
			for id, props := range resourcesOfType(doc, "AWS::ECS::TaskDefinition") {
				names := []any{props["Family"]}
				defs, _ := props["ContainerDefinitions"].([]any)
				for _, d := range defs {
					names = append(names, d.(map[string]any)["Name"])
				}
				vols, _ := props["Volumes"].([]any)
				for _, v := range vols {
					names = append(names, v.(map[string]any)["Name"])
				}
				for _, n := range names {
					if s, ok := literalText(n); ok && !ecsName.MatchString(s) {
						bad = append(bad, fmt.Sprintf("%s: name %q has characters ECS rejects", id, s))
					}
				}
			}
			return bad
		},
	},
	{
		name:   "log group names",
		source: "CloudWatch Logs API reference, CreateLogGroup (logGroupName): 1-512 characters of a-zA-Z0-9, _-/.#",
		check: func(doc format.Document) []string {
			var bad []string
			for id, props := range resourcesOfType(doc, "AWS::Logs::LogGroup") {
				if s, ok := literalText(props["LogGroupName"]); ok && !logGroupName.MatchString(s) {
					bad = append(bad, fmt.Sprintf("%s.LogGroupName %q has characters CloudWatch Logs rejects", id, s))
				}
			}
			return bad
		},
	},
	{
		name:   "service load balancer names its container and port",
		source: "ECS CreateService: a LoadBalancer's containerName and containerPort must match a container and port mapping of the task definition",
		check: func(doc format.Document) []string {
			var bad []string
			for id, props := range resourcesOfType(doc, "AWS::ECS::Service") {
				td := refTarget(props["TaskDefinition"])
				defs, _ := at2(doc, "Resources", td, "Properties", "ContainerDefinitions").([]any)
				lbs, _ := props["LoadBalancers"].([]any)
				for _, l := range lbs {
					lb := l.(map[string]any)
					found := false
					for _, d := range defs {
						c := d.(map[string]any)
						if fmt.Sprint(c["Name"]) != fmt.Sprint(lb["ContainerName"]) {
							continue
						}
						ports, _ := c["PortMappings"].([]any)
						for _, p := range ports {
							if fmt.Sprint(p.(map[string]any)["ContainerPort"]) == fmt.Sprint(lb["ContainerPort"]) {
								found = true
							}
						}
					}
					if !found {
						bad = append(bad, fmt.Sprintf("%s: load balancer entry %v:%v matches no container port of %s", id, lb["ContainerName"], lb["ContainerPort"], td))
					}
				}
			}
			return bad
		},
	},
	{
		name:   "capacity provider strategy",
		source: "ECS API reference, CapacityProviderStrategyItem: only one provider may have a base, and at least one must have a weight above 0; a service cannot set both a launch type and a strategy (CreateService); a strategy may only name providers associated with the cluster (PutClusterCapacityProviders)",
		check: func(doc format.Document) []string {
			var bad []string
			associated := map[string][]any{}
			for _, props := range resourcesOfType(doc, "AWS::ECS::ClusterCapacityProviderAssociations") {
				list, _ := props["CapacityProviders"].([]any)
				associated[refTarget(props["Cluster"])] = list
			}
			for id, props := range resourcesOfType(doc, "AWS::ECS::Service") {
				items, _ := props["CapacityProviderStrategy"].([]any)
				if len(items) > 0 && props["LaunchType"] != nil {
					bad = append(bad, id+": both LaunchType and CapacityProviderStrategy")
				}
				bases, weighted := 0, 0
				for _, it := range items {
					item := it.(map[string]any)
					if b, ok := item["Base"]; ok && fmt.Sprint(b) != "0" {
						bases++
					}
					if w, ok := item["Weight"]; ok && fmt.Sprint(w) != "0" {
						weighted++
					}
					if providers, ok := associated[refTarget(props["Cluster"])]; ok && !slices.Contains(providers, item["CapacityProvider"]) {
						bad = append(bad, fmt.Sprintf("%s: strategy names %v, which the cluster is not associated with", id, item["CapacityProvider"]))
					}
				}
				if bases > 1 {
					bad = append(bad, id+": more than one capacity provider has a base")
				}
				if len(items) > 0 && weighted == 0 {
					bad = append(bad, id+": no capacity provider has a weight above 0")
				}
			}
			return bad
		},
	},
	{
		name:   "Availability Zone rebalancing set",
		source: "AWS::ECS::Service reference, AvailabilityZoneRebalancing: a service that never had the value set is treated as DISABLED on update",
		check: func(doc format.Document) []string {
			var bad []string
			for id, props := range resourcesOfType(doc, "AWS::ECS::Service") {
				if props["AvailabilityZoneRebalancing"] != "ENABLED" {
					bad = append(bad, id+": AvailabilityZoneRebalancing is not ENABLED")
				}
			}
			return bad
		},
	},
	{
		name:   "service waits for the listener that forwards to it",
		source: "ECS API reference, CreateService: \"The target group ... does not have an associated load balancer\" until a listener or listener rule forwards to it; the service must name it in DependsOn or refer to it (CloudFormation creates what a resource refers to first)",
		check: func(doc format.Document) []string {
			var bad []string
			all := resources(doc)
			for id, props := range resourcesOfType(doc, "AWS::ECS::Service") {
				waitsFor := map[string]bool{}
				collectReferences(all[id], waitsFor)
				if deps, ok := all[id]["DependsOn"].([]any); ok {
					for _, d := range deps {
						waitsFor[fmt.Sprint(d)] = true
					}
				}
				lbs, _ := props["LoadBalancers"].([]any)
				for _, l := range lbs {
					group := refTarget(at2(l, "TargetGroupArn"))
					var forwarders []string
					for _, typ := range []string{"AWS::ElasticLoadBalancingV2::Listener", "AWS::ElasticLoadBalancingV2::ListenerRule"} {
						for lid, lprops := range resourcesOfType(doc, typ) {
							refs := map[string]bool{}
							collectReferences(lprops["DefaultActions"], refs)
							collectReferences(lprops["Actions"], refs)
							if refs[group] {
								forwarders = append(forwarders, lid)
							}
						}
					}
					if !slices.ContainsFunc(forwarders, func(f string) bool { return waitsFor[f] }) {
						bad = append(bad, fmt.Sprintf("%s: waits for none of the listeners and rules that forward to %s (%v)", id, group, forwarders))
					}
				}
			}
			return bad
		},
	},
	{
		name:   "DependsOn names resources that exist",
		source: "CloudFormation User Guide, DependsOn attribute; a DependsOn on a resource whose condition is false fails the template (\"Unresolved resource dependencies\"; cfn-lint E3005): a conditional dependency goes through a Ref in Fn::If instead",
		check: func(doc format.Document) []string {
			var bad []string
			all := resources(doc)
			for id, r := range all {
				deps, _ := r["DependsOn"].([]any)
				for _, d := range deps {
					target, ok := all[fmt.Sprint(d)]
					switch {
					case !ok:
						bad = append(bad, fmt.Sprintf("%s depends on %v, which the template does not have", id, d))
					case target["Condition"] != nil && target["Condition"] != r["Condition"]:
						bad = append(bad, fmt.Sprintf("%s depends on %v, which exists only under condition %v", id, d, target["Condition"]))
					}
				}
			}
			return bad
		},
	},
	{
		name:   "listener rules",
		source: "ELB API reference, CreateRule: Priority 1 to 50000, unique on its listener; RuleCondition: at most one host-header and one path-pattern condition per rule, and no empty values; PathPatternConditionConfig: up to 128 of A-Z a-z 0-9 _ - . $ / ~ \" ' @ : + & * ?; HttpHeaderConditionConfig: values of up to 128; ALB quotas: 5 wildcards per rule",
		check: func(doc format.Document) []string {
			var bad []string
			headerValue := regexp.MustCompile(`^[\x21-\x7e]{1,128}$`)
			path := regexp.MustCompile(`^[A-Za-z0-9_\-.$/~"'@:+&*?]{1,128}$`)
			taken := map[string]string{}
			for id, props := range resourcesOfType(doc, "AWS::ElasticLoadBalancingV2::ListenerRule") {
				var priority int
				fmt.Sscan(fmt.Sprint(props["Priority"]), &priority)
				if priority < 1 || priority > 50000 {
					bad = append(bad, fmt.Sprintf("%s: priority %d is outside 1-50000", id, priority))
				}
				key := fmt.Sprint(props["ListenerArn"], priority)
				if other, ok := taken[key]; ok {
					bad = append(bad, fmt.Sprintf("%s and %s share priority %d on one listener", id, other, priority))
				}
				taken[key] = id
				values, wildcards, fields := 0, 0, map[string]int{}
				for _, cond := range ruleConditions(props) {
					fields[cond.field]++
					for _, s := range cond.values {
						values++
						wildcards += strings.Count(s, "*") + strings.Count(s, "?")
						var ok bool
						switch cond.field {
						case "path-pattern":
							ok = path.MatchString(s)
						case "http-header":
							ok = headerValue.MatchString(s)
						default:
							ok = s != ""
						}
						if !ok {
							bad = append(bad, fmt.Sprintf("%s: %s value %q has characters ELB rejects, or is over 128", id, cond.field, s))
						}
					}
				}
				for field, n := range fields {
					if n > 1 && field != "http-header" {
						bad = append(bad, fmt.Sprintf("%s: %d %s conditions; ELB allows one", id, n, field))
					}
				}
				if values == 0 || wildcards > 5 {
					bad = append(bad, fmt.Sprintf("%s: %d condition values with %d wildcards; ELB needs a value and allows up to 5 wildcards", id, values, wildcards))
				}
			}
			return bad
		},
	},
	{
		// Review 2, section 7, item 4 (F2).
		name:   "host condition values",
		source: "ELB API reference, HostHeaderConditionConfig: up to 128 characters of A-Z a-z 0-9 - . and the wildcards * and ?; \"You must include at least one \".\" character. You can include only alphabetical characters after the final \".\" character.\"",
		check: func(doc format.Document) []string {
			var bad []string
			host := regexp.MustCompile(`^[A-Za-z0-9*?.-]*\.[A-Za-z]+$`)
			for id, props := range resourcesOfType(doc, "AWS::ElasticLoadBalancingV2::ListenerRule") {
				for _, cond := range ruleConditions(props) {
					if cond.field != "host-header" {
						continue
					}
					for _, s := range cond.values {
						if len(s) > 128 || !host.MatchString(s) {
							bad = append(bad, fmt.Sprintf("%s: host %q: ELB needs up to 128 of A-Z a-z 0-9 - . * ?, a dot, and only letters after the last dot", id, s))
						}
					}
				}
			}
			return bad
		},
	},
	{
		// Review 2, section 7, item 5 (F2).
		name:   "header condition names",
		source: "ELB API reference, HttpHeaderConditionConfig: HttpHeaderName up to 40 characters, \"The allowed characters are specified by RFC 7230. Wildcards are not supported. You can't use an HTTP header condition to specify the host header.\" (RFC 7230 section 3.2.6, tchar)",
		check: func(doc format.Document) []string {
			var bad []string
			// RFC 7230 tchar, without the wildcard *.
			name := regexp.MustCompile("^[A-Za-z0-9!#$%&'+.^_`|~-]{1,40}$")
			for id, props := range resourcesOfType(doc, "AWS::ElasticLoadBalancingV2::ListenerRule") {
				for _, cond := range ruleConditions(props) {
					if cond.field != "http-header" {
						continue
					}
					if !name.MatchString(cond.header) || strings.EqualFold(cond.header, "host") {
						bad = append(bad, fmt.Sprintf("%s: header name %q is not an HTTP token of up to 40 characters without wildcards, or is Host", id, cond.header))
					}
				}
			}
			return bad
		},
	},
	{
		// Review 2, section 7, item 6 (F2). The ALB guide's "up to three
		// match evaluations per condition" is not enforced here: see
		// maxConditionValuesDocumented in stack/routing.go.
		name:   "condition values per rule",
		source: "ALB quotas, condition values per rule: 5 (error \"A rule can only have '5' condition values\", cfn-lint #3833, aws-cdk #10065); ALB guide, \"Condition types for listener rules\": up to five match evaluations per rule",
		check: func(doc format.Document) []string {
			var bad []string
			for id, props := range resourcesOfType(doc, "AWS::ElasticLoadBalancingV2::ListenerRule") {
				values := 0
				for _, cond := range ruleConditions(props) {
					values += len(cond.values)
				}
				if values > 5 {
					bad = append(bad, fmt.Sprintf("%s: %d condition values; ELB allows up to 5 per rule", id, values))
				}
			}
			return bad
		},
	},
	{
		name:   "listener certificates",
		source: "ELB API reference, CreateListener: exactly one (default) certificate on an HTTPS listener; CloudFormation reference, AWS::ElasticLoadBalancingV2::ListenerCertificate Certificates: \"You can specify one certificate per resource\"",
		check: func(doc format.Document) []string {
			var bad []string
			for id, props := range resourcesOfType(doc, "AWS::ElasticLoadBalancingV2::ListenerCertificate") {
				if certs, _ := props["Certificates"].([]any); len(certs) != 1 {
					bad = append(bad, fmt.Sprintf("%s: %d certificates; one per resource", id, len(certs)))
				}
			}
			for id, props := range resourcesOfType(doc, "AWS::ElasticLoadBalancingV2::Listener") {
				if props["Protocol"] != "HTTPS" {
					continue
				}
				if certs, _ := props["Certificates"].([]any); len(certs) != 1 {
					bad = append(bad, fmt.Sprintf("%s: %d certificates; an HTTPS listener takes exactly one", id, len(certs)))
				}
			}
			return bad
		},
	},
	{
		name:   "fixed responses",
		source: "ELB API reference, FixedResponseActionConfig: StatusCode 2XX, 4XX or 5XX; ContentType text/plain, text/css, text/html, application/javascript or application/json; MessageBody up to 1024 characters",
		check: func(doc format.Document) []string {
			var bad []string
			status := regexp.MustCompile(`^[245][0-9][0-9]$`)
			types := []string{"text/plain", "text/css", "text/html", "application/javascript", "application/json"}
			for _, typ := range []string{"AWS::ElasticLoadBalancingV2::Listener", "AWS::ElasticLoadBalancingV2::ListenerRule"} {
				for id, props := range resourcesOfType(doc, typ) {
					actions, _ := props["DefaultActions"].([]any)
					if more, ok := props["Actions"].([]any); ok {
						actions = more
					}
					for _, a := range actions {
						fixed, ok := at2(a, "FixedResponseConfig").(map[string]any)
						if !ok {
							continue
						}
						if s := fmt.Sprint(fixed["StatusCode"]); !status.MatchString(s) {
							bad = append(bad, fmt.Sprintf("%s: fixed-response status %q", id, s))
						}
						if ct, ok := fixed["ContentType"]; ok && !slices.Contains(types, fmt.Sprint(ct)) {
							bad = append(bad, fmt.Sprintf("%s: fixed-response content type %q", id, ct))
						}
						if body := fmt.Sprint(fixed["MessageBody"]); utf8.RuneCountInString(body) > 1024 {
							bad = append(bad, fmt.Sprintf("%s: fixed-response body of %d characters", id, utf8.RuneCountInString(body)))
						}
					}
				}
			}
			return bad
		},
	},
	{
		name: "container image may be pinned by digest",
		source: "ECS API reference, ContainerDefinition.image: repository-url/image@digest, with a sha256 digest of 64 hex digits; " +
			"CloudFormation applies a parameter's AllowedPattern (a Java regular expression) to the whole value; cfnfargate rollback deploys repo@sha256:DIGEST",
		check: func(doc format.Document) []string {
			param, _ := at2(doc, "Parameters", "ContainerImage").(map[string]any)
			pattern, _ := param["AllowedPattern"].(string)
			image, _ := param["Default"].(string)
			if pattern == "" || image == "" {
				return nil
			}
			re, err := regexp.Compile(pattern)
			if err != nil {
				return []string{fmt.Sprintf("ContainerImage AllowedPattern %q: %v", pattern, err)}
			}
			repo, _, _ := strings.Cut(image, "@")
			withTag := repo
			if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
				repo = repo[:i]
			}
			digest := "@sha256:" + strings.Repeat("0123456789abcdef", 4)
			var bad []string
			for _, pinned := range []string{repo + digest, withTag + digest} {
				if !re.MatchString(pinned) {
					bad = append(bad, fmt.Sprintf("ContainerImage AllowedPattern %q refuses %q", pattern, pinned))
				}
			}
			return bad
		},
	},
	{
		name:   "autoscaling bounds in order",
		source: "Application Auto Scaling API reference, RegisterScalableTarget: MinCapacity may not be above MaxCapacity",
		check: func(doc format.Document) []string {
			params, _ := doc["Parameters"].(map[string]any)
			lo, okLo := params["MinCount"].(map[string]any)
			hi, okHi := params["MaxCount"].(map[string]any)
			if !okLo || !okHi {
				return nil
			}
			var minCount, maxCount int
			fmt.Sscan(fmt.Sprint(lo["Default"]), &minCount)
			fmt.Sscan(fmt.Sprint(hi["Default"]), &maxCount)
			if minCount > maxCount {
				return []string{fmt.Sprintf("MinCount default %d is above MaxCount default %d", minCount, maxCount)}
			}
			return nil
		},
	},
	{
		name:   "target group health check timeout under the interval",
		source: "ELB API reference, CreateTargetGroup: the health check timeout must be smaller than the interval",
		check: func(doc format.Document) []string {
			var bad []string
			for id, props := range resourcesOfType(doc, "AWS::ElasticLoadBalancingV2::TargetGroup") {
				var interval, timeout int
				fmt.Sscan(fmt.Sprint(props["HealthCheckIntervalSeconds"]), &interval)
				fmt.Sscan(fmt.Sprint(props["HealthCheckTimeoutSeconds"]), &timeout)
				if timeout >= interval {
					bad = append(bad, fmt.Sprintf("%s: health check timeout %d s is not under the interval %d s", id, timeout, interval))
				}
			}
			return bad
		},
	},
	{
		name:   "deployment strategy",
		source: "ECS API reference, DeploymentConfiguration (strategy ROLLING, BLUE_GREEN, LINEAR or CANARY, which need the ECS deployment controller; bakeTimeInMinutes 0-1440), CanaryConfiguration (canaryPercent 0.1-100 in multiples of 0.1, canaryBakeTimeInMinutes 0-1440; only with CANARY), LinearConfiguration (stepPercent 3-100 in multiples of 0.1, stepBakeTimeInMinutes 0-1440; only with LINEAR); AWS::ECS::Service CanaryConfiguration and LinearConfiguration, CloudFormation reference: CloudFormation rejects a schedule over 33 hours",
		check: func(doc format.Document) []string {
			var bad []string
			for id, props := range resourcesOfType(doc, "AWS::ECS::Service") {
				dc, _ := props["DeploymentConfiguration"].(map[string]any)
				strategy, _ := dc["Strategy"].(string)
				if hooks, _ := dc["LifecycleHooks"].([]any); strategy == "" || strategy == "ROLLING" {
					if dc["CanaryConfiguration"] != nil || dc["LinearConfiguration"] != nil || len(hooks) > 0 {
						bad = append(bad, id+": canary, linear or hook settings without a blue/green strategy")
					}
					continue
				}
				if !slices.Contains([]string{"BLUE_GREEN", "CANARY", "LINEAR"}, strategy) {
					bad = append(bad, fmt.Sprintf("%s: strategy %q is not one ECS knows", id, strategy))
				}
				if at2(props, "DeploymentController", "Type") != "ECS" {
					bad = append(bad, fmt.Sprintf("%s: strategy %s without DeploymentController ECS", id, strategy))
				}
				bake, ok := intIn(dc["BakeTimeInMinutes"], 0, 1440)
				if !ok {
					bad = append(bad, fmt.Sprintf("%s: BakeTimeInMinutes %v is not 0-1440", id, dc["BakeTimeInMinutes"]))
				}
				canary, _ := dc["CanaryConfiguration"].(map[string]any)
				linear, _ := dc["LinearConfiguration"].(map[string]any)
				if (canary != nil) != (strategy == "CANARY") || (linear != nil) != (strategy == "LINEAR") {
					bad = append(bad, fmt.Sprintf("%s: strategy %s with canary %v and linear %v configuration", id, strategy, canary != nil, linear != nil))
				}
				total := bake
				if canary != nil {
					wait, ok := intIn(canary["CanaryBakeTimeInMinutes"], 0, 1440)
					if !ok || !tenths(canary["CanaryPercent"], 1, 1000) {
						bad = append(bad, fmt.Sprintf("%s: CanaryConfiguration %v out of range", id, canary))
					}
					total += wait
				}
				if linear != nil {
					wait, ok := intIn(linear["StepBakeTimeInMinutes"], 0, 1440)
					if !ok || !tenths(linear["StepPercent"], 30, 1000) {
						bad = append(bad, fmt.Sprintf("%s: LinearConfiguration %v out of range", id, linear))
					}
					// CloudFormation counts 100/StepPercent - 1 steps when the
					// step divides 100, else floor(100/StepPercent).
					var percent float64
					fmt.Sscan(fmt.Sprint(linear["StepPercent"]), &percent)
					steps := 0
					if percent > 0 {
						tenthsOfStep := int(math.Round(percent * 10))
						steps = 1000 / tenthsOfStep
						if 1000%tenthsOfStep == 0 {
							steps--
						}
					}
					total += wait * steps
				}
				if total > 33*60 {
					bad = append(bad, fmt.Sprintf("%s: the schedule adds up to %d minutes, over 33 hours", id, total))
				}
			}
			return bad
		},
	},
	{
		name:   "blue/green load balancer configuration",
		source: "ECS API reference, AdvancedConfiguration (alternateTargetGroupArn, productionListenerRule and roleArn for an Application Load Balancer; testListenerRule optional) and ECS developer guide, \"Amazon ECS blue/green deployments\": the production rule forwards to both target groups",
		check: func(doc format.Document) []string {
			var bad []string
			all := resources(doc)
			typeOf := func(v any) string {
				target := refTarget(v)
				if target == "" {
					if list, ok := at2(v, "Fn::GetAtt").([]any); ok && len(list) == 2 {
						target = fmt.Sprint(list[0])
					}
				}
				if r, ok := all[target]; ok {
					return fmt.Sprint(r["Type"])
				}
				return ""
			}
			for id, props := range resourcesOfType(doc, "AWS::ECS::Service") {
				strategy, _ := at2(props, "DeploymentConfiguration", "Strategy").(string)
				lbs, _ := props["LoadBalancers"].([]any)
				for i, l := range lbs {
					lb, _ := l.(map[string]any)
					advanced, _ := lb["AdvancedConfiguration"].(map[string]any)
					if strategy == "" || strategy == "ROLLING" {
						if advanced != nil {
							bad = append(bad, fmt.Sprintf("%s.LoadBalancers[%d]: AdvancedConfiguration with a rolling deployment", id, i))
						}
						continue
					}
					if advanced == nil {
						bad = append(bad, fmt.Sprintf("%s.LoadBalancers[%d]: strategy %s without AdvancedConfiguration", id, i, strategy))
						continue
					}
					primary, alternate := refTarget(lb["TargetGroupArn"]), refTarget(advanced["AlternateTargetGroupArn"])
					if typeOf(advanced["AlternateTargetGroupArn"]) != "AWS::ElasticLoadBalancingV2::TargetGroup" || alternate == primary {
						bad = append(bad, fmt.Sprintf("%s: AlternateTargetGroupArn %v is not a second target group of the template", id, advanced["AlternateTargetGroupArn"]))
					}
					if typeOf(advanced["RoleArn"]) != "AWS::IAM::Role" {
						bad = append(bad, fmt.Sprintf("%s: AdvancedConfiguration.RoleArn %v is not a role of the template", id, advanced["RoleArn"]))
					}
					for _, key := range []string{"ProductionListenerRule", "TestListenerRule"} {
						v, ok := advanced[key]
						if !ok && key == "TestListenerRule" {
							continue
						}
						rule := refTarget(v)
						if typeOf(v) != "AWS::ElasticLoadBalancingV2::ListenerRule" {
							bad = append(bad, fmt.Sprintf("%s: %s %v is not a listener rule of the template", id, key, v))
							continue
						}
						var forwards []string
						actions, _ := propsOf(doc, rule)["Actions"].([]any)
						for _, a := range actions {
							groups, _ := at2(a, "ForwardConfig", "TargetGroups").([]any)
							for _, g := range groups {
								forwards = append(forwards, refTarget(at2(g, "TargetGroupArn")))
							}
						}
						if !slices.Contains(forwards, primary) || !slices.Contains(forwards, alternate) {
							bad = append(bad, fmt.Sprintf("%s: %s forwards to %v, not to both %s and %s", id, rule, forwards, primary, alternate))
						}
					}
				}
			}
			return bad
		},
	},
	{
		name:   "ECS infrastructure role for load balancers",
		source: "ECS developer guide, \"Amazon ECS infrastructure IAM role for load balancers\": trusted by ecs.amazonaws.com, with the AWS managed policy AmazonECSInfrastructureRolePolicyForLoadBalancers",
		check: func(doc format.Document) []string {
			var bad []string
			for id, props := range resourcesOfType(doc, "AWS::ECS::Service") {
				lbs, _ := props["LoadBalancers"].([]any)
				for _, l := range lbs {
					list, _ := at2(l, "AdvancedConfiguration", "RoleArn", "Fn::GetAtt").([]any)
					if len(list) == 0 {
						continue
					}
					role := fmt.Sprint(list[0])
					rp := propsOf(doc, role)
					if !trusts(rp, "ecs.amazonaws.com") {
						bad = append(bad, fmt.Sprintf("%s: role %s does not trust ecs.amazonaws.com", id, role))
					}
					arns, _ := rp["ManagedPolicyArns"].([]any)
					found := false
					for _, a := range arns {
						if text, _ := literalText(a); text == "arn:x:iam::aws:policy/"+stack.InfrastructurePolicy {
							found = true
						}
					}
					if !found || stack.InfrastructurePolicy != "AmazonECSInfrastructureRolePolicyForLoadBalancers" {
						bad = append(bad, fmt.Sprintf("%s: role %s lacks the managed policy AmazonECSInfrastructureRolePolicyForLoadBalancers: %v", id, role, arns))
					}
				}
			}
			return bad
		},
	},
	{
		name:   "lifecycle hooks",
		source: "ECS API reference, DeploymentLifecycleHook (hookTargetArn, roleArn, lifecycleStages); ECS developer guide, \"Permissions required for Lambda functions in Amazon ECS blue/green deployments\" (a role trusted by ecs.amazonaws.com with lambda:InvokeFunction) and \"Lifecycle hooks for Amazon ECS service deployments\" (on rollback ECS runs the PRODUCTION_TRAFFIC_SHIFT and TEST_TRAFFIC_SHIFT hooks again, so a gate there could hold the rollback); AWS::Lambda::Function Code: ZipFile up to 4096 characters, Node.js and Python only",
		check: func(doc format.Document) []string {
			var bad []string
			for id, props := range resourcesOfType(doc, "AWS::ECS::Service") {
				hooks, _ := at2(props, "DeploymentConfiguration", "LifecycleHooks").([]any)
				for i, h := range hooks {
					hook, _ := h.(map[string]any)
					stages, _ := hook["LifecycleStages"].([]any)
					if len(stages) == 0 {
						bad = append(bad, fmt.Sprintf("%s hook %d has no stages", id, i))
					}
					for _, st := range stages {
						if st == "PRODUCTION_TRAFFIC_SHIFT" || st == "TEST_TRAFFIC_SHIFT" {
							bad = append(bad, fmt.Sprintf("%s hook %d holds %s, which a rollback runs again", id, i, st))
						}
					}
					fn, _ := at2(hook, "HookTargetArn", "Fn::GetAtt").([]any)
					role, _ := at2(hook, "RoleArn", "Fn::GetAtt").([]any)
					if len(fn) == 0 || len(role) == 0 {
						bad = append(bad, fmt.Sprintf("%s hook %d: HookTargetArn and RoleArn must be a function and a role of the template", id, i))
						continue
					}
					rp := propsOf(doc, fmt.Sprint(role[0]))
					if !trusts(rp, "ecs.amazonaws.com") || !strings.Contains(canonicalJSON(rolePolicyDocuments(doc, fmt.Sprint(role[0]))), `"lambda:InvokeFunction"`) {
						bad = append(bad, fmt.Sprintf("%s hook %d: role %v must trust ecs.amazonaws.com and allow lambda:InvokeFunction", id, i, role[0]))
					}
				}
			}
			for id, props := range resourcesOfType(doc, "AWS::Lambda::Function") {
				code, ok := at2(props, "Code", "ZipFile").(string)
				runtime := fmt.Sprint(props["Runtime"])
				if ok && (utf8.RuneCountInString(code) > 4096 || !(strings.HasPrefix(runtime, "python") || strings.HasPrefix(runtime, "nodejs"))) {
					bad = append(bad, fmt.Sprintf("%s: inline code of %d characters for %s", id, utf8.RuneCountInString(code), runtime))
				}
			}
			return bad
		},
	},
	{
		name:   "deployment alarms",
		source: "ECS API reference, DeploymentAlarms (alarmNames, enable and rollback required; up to 10 alarms; the off state is no names with enable false); CloudWatch API reference, PutMetricAlarm (up to 10 queries in Metrics, exactly one with ReturnData true; DatapointsToAlarm up to EvaluationPeriods) and MetricDataQuery (Id starts with a lowercase letter: ^[a-z][a-zA-Z0-9_]*$)",
		check: func(doc format.Document) []string {
			var bad []string
			queryID := regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)
			for id, props := range resourcesOfType(doc, "AWS::ECS::Service") {
				alarms, ok := at2(props, "DeploymentConfiguration", "Alarms").(map[string]any)
				if !ok {
					continue
				}
				names, _ := alarms["AlarmNames"].([]any)
				on := len(names) > 0
				if len(names) > 10 || alarms["Enable"] != on || alarms["Rollback"] != on {
					bad = append(bad, fmt.Sprintf("%s: Alarms %v must name 1 to 10 alarms with Enable and Rollback, or none with both false", id, alarms))
				}
			}
			for id, props := range resourcesOfType(doc, "AWS::CloudWatch::Alarm") {
				metrics, _ := props["Metrics"].([]any)
				returning := 0
				for _, m := range metrics {
					if at2(m, "ReturnData") == true {
						returning++
					}
					if qid := fmt.Sprint(at2(m, "Id")); !queryID.MatchString(qid) {
						bad = append(bad, fmt.Sprintf("%s: query Id %q", id, qid))
					}
				}
				var evaluation, datapoints int
				fmt.Sscan(fmt.Sprint(props["EvaluationPeriods"]), &evaluation)
				fmt.Sscan(fmt.Sprint(props["DatapointsToAlarm"]), &datapoints)
				if len(metrics) > 10 || returning != 1 || datapoints > evaluation {
					bad = append(bad, fmt.Sprintf("%s: %d queries, %d returning data, %d of %d datapoints", id, len(metrics), returning, datapoints, evaluation))
				}
			}
			return bad
		},
	},
	{
		// Review 2, section 7, item 1 (F3).
		name:   "gate reads executionDetails",
		source: "ECS developer guide, \"Lambda hooks for Amazon ECS service deployments\", Lifecycle payloads: the event's top-level fields are executionId, lifecycleStage, resourceArn and executionDetails, which holds serviceArn and targetServiceRevisionArn; an older page listed them flat",
		check: func(doc format.Document) []string {
			var bad []string
			flat := regexp.MustCompile(`event(\.get\(\s*|\[)["']targetServiceRevisionArn["']`)
			for id, props := range resourcesOfType(doc, "AWS::ECS::Service") {
				hooks, _ := at2(props, "DeploymentConfiguration", "LifecycleHooks").([]any)
				for _, h := range hooks {
					fn, _ := at2(h, "HookTargetArn", "Fn::GetAtt").([]any)
					if len(fn) == 0 {
						continue
					}
					code, ok := at2(propsOf(doc, fmt.Sprint(fn[0])), "Code", "ZipFile").(string)
					if !ok {
						continue
					}
					if !strings.Contains(code, "executionDetails") || !strings.Contains(code, "resourceArn") || flat.MatchString(code) {
						bad = append(bad, fmt.Sprintf("%s: hook function %v does not read the event as ECS sends it (resourceArn, and executionDetails for the service and revision)", id, fn[0]))
					}
				}
			}
			return bad
		},
	},
	{
		// Review 2, section 7, item 2 (F7).
		name:   "off states explicit",
		source: "UpdateService keeps the deployment settings a request leaves out: terraform-provider-aws #47096 (\"ECS requires an explicit empty lifecycle hook list to clear existing hooks\"), copilot-cli #4565 and aws-cdk #30217 (removed alarms stay on the service); ECS API reference, DeploymentConfiguration (strategy ROLLING, lifecycleHooks, alarms)",
		check: func(doc format.Document) []string {
			var bad []string
			for id, props := range resourcesOfType(doc, "AWS::ECS::Service") {
				dc, _ := props["DeploymentConfiguration"].(map[string]any)
				if _, ok := dc["LifecycleHooks"].([]any); !ok {
					bad = append(bad, id+": DeploymentConfiguration.LifecycleHooks is not written ([] when there is no gate)")
				}
				if s, _ := dc["Strategy"].(string); s == "" {
					bad = append(bad, id+": DeploymentConfiguration.Strategy is not written (ROLLING for rolling)")
				}
				alarms, _ := dc["Alarms"].(map[string]any)
				if _, ok := alarms["AlarmNames"].([]any); !ok || alarms["Enable"] == nil || alarms["Rollback"] == nil {
					bad = append(bad, fmt.Sprintf("%s: DeploymentConfiguration.Alarms %v is not written whole ({AlarmNames: [], Enable: false, Rollback: false} when there are none)", id, alarms))
				}
				if _, ok := at2(dc, "DeploymentCircuitBreaker", "Enable").(bool); !ok {
					bad = append(bad, id+": DeploymentConfiguration.DeploymentCircuitBreaker.Enable is not written")
				}
			}
			return bad
		},
	},
	{
		// Review 2, section 7, item 8 (F6), as a template-only proxy: an
		// emitted template never forces; the deploy command forces only
		// when the placement nonce differs from the deployed template's.
		name:   "no forced deployment with a blue/green strategy",
		source: "ECS API reference, UpdateService: desiredCount \"doesn't trigger a new service deployment\", forceNewDeployment starts one; AWS::ECS::Service ForceNewDeployment: with EnableForceNewDeployment true every update of the service is forced, so a change of DesiredCount alone runs a full blue/green, canary or linear deployment",
		check: func(doc format.Document) []string {
			var bad []string
			for id, props := range resourcesOfType(doc, "AWS::ECS::Service") {
				strategy, _ := at2(props, "DeploymentConfiguration", "Strategy").(string)
				if at2(props, "ForceNewDeployment", "EnableForceNewDeployment") == true && slices.Contains([]string{"BLUE_GREEN", "CANARY", "LINEAR"}, strategy) {
					bad = append(bad, fmt.Sprintf("%s: EnableForceNewDeployment true with strategy %s", id, strategy))
				}
			}
			return bad
		},
	},
	{
		// Review 2, F1: the template-side half of section 7, item 10.
		name:   "services add no rules to the environment's groups",
		source: "Amazon VPC quotas, \"Inbound or outbound rules per security group: 60\", enforced per address family, \"A rule that references a security group ... counts as one rule for IPv4 and one rule for IPv6\": a rule per service on the environment's load balancer group stops the environment at about 60 services",
		check: func(doc format.Document) []string {
			var bad []string
			params, _ := doc["Parameters"].(map[string]any)
			for _, typ := range []string{"AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"} {
				for id, props := range resourcesOfType(doc, typ) {
					if group := refTarget(props["GroupId"]); params[group] != nil {
						bad = append(bad, fmt.Sprintf("%s adds a rule to %s, another stack's security group", id, group))
					}
				}
			}
			return bad
		},
	},
	{
		// Review 2, section 7, item 3 (F8), the template's half: the
		// day-2 commands find the container's logs by the logical ID
		// LogGroup, which holds only while the task definition writes there
		// (the pause gate has a log group of its own).
		name:   "container logs in LogGroup",
		source: "ECS developer guide, \"Send Amazon ECS logs to CloudWatch\": the awslogs driver writes to the group in awslogs-group; CloudFormation ListStackResources lists every AWS::Logs::LogGroup of a stack in no documented order, so the group is found by logical ID",
		check: func(doc format.Document) []string {
			var bad []string
			// An environment's stack runs no container; its one log group,
			// with hardened, is its web ACL's.
			if len(resourcesOfType(doc, "AWS::Logs::LogGroup")) == 0 || len(containers(doc)) == 0 {
				return nil
			}
			if resources(doc)["LogGroup"]["Type"] != "AWS::Logs::LogGroup" {
				bad = append(bad, "the template has log groups, but none is LogGroup")
			}
			for where, c := range containers(doc) {
				group := at2(c, "LogConfiguration", "Options", "awslogs-group")
				if refTarget(group) != "LogGroup" {
					bad = append(bad, fmt.Sprintf("%s: awslogs-group is %v, not Ref: LogGroup", where, group))
				}
			}
			return bad
		},
	},
	{
		// Review 2, section 7, item 9 (C1).
		name:   "certificate before DNS",
		source: "ELB user guide, \"SSL certificates\": the listener serves the certificate that SNI selects from its certificate list, else its default one; a DNS record created before the service's certificate is on the shared listener sends clients to a certificate that does not match their host",
		check: func(doc format.Document) []string {
			var bad []string
			certs := resourcesOfType(doc, "AWS::ElasticLoadBalancingV2::ListenerCertificate")
			if _, ok := certs["ServiceCertificate"]; !ok {
				return nil
			}
			domain := fmt.Sprint(propsOf(doc, "Certificate")["DomainName"])
			for id, props := range resourcesOfType(doc, "AWS::Route53::RecordSet") {
				if strings.TrimSuffix(fmt.Sprint(props["Name"]), ".") != domain {
					continue
				}
				if !slices.Contains(dependsOn(resources(doc)[id]), "ServiceCertificate") {
					bad = append(bad, fmt.Sprintf("%s points %s at the listener without DependsOn ServiceCertificate", id, domain))
				}
			}
			return bad
		},
	},
	{
		// Issue 21: the bucket a hardened stack creates for access logs.
		name:   "access-log bucket policy",
		source: "ELB user guide, \"Enable access logs for your Application Load Balancer\": the bucket must use S3-managed keys (SSE-S3), the only encryption ELB supports; its policy must let ELB write PREFIX/AWSLogs/ACCOUNT/*, by the service principal logdelivery.elasticloadbalancing.amazonaws.com in any Region, or by the Region's ELB account in the Regions available before August 2022 only (a legacy policy: \"Regions that are not in this list do not support the legacy policy\"); ELB writes a test file when access logs are turned on (step 4)",
		check: func(doc format.Document) []string {
			var bad []string
			for lbID, lb := range resourcesOfType(doc, "AWS::ElasticLoadBalancingV2::LoadBalancer") {
				attrs := loadBalancerAttributes(lb)
				bucketID := refTarget(attrs["access_logs.s3.bucket"])
				if attrs["access_logs.s3.enabled"] != "true" || bucketID == "" {
					continue // no logs, or the user's bucket, whose policy is the user's
				}
				bucket := propsOf(doc, bucketID)
				rules, _ := at2(bucket, "BucketEncryption", "ServerSideEncryptionConfiguration").([]any)
				if len(rules) != 1 || at2(rules[0], "ServerSideEncryptionByDefault", "SSEAlgorithm") != "AES256" {
					bad = append(bad, fmt.Sprintf("%s: encryption %v, not SSE-S3 (AES256) alone", bucketID, rules))
				}
				policyID := ""
				for id, p := range resourcesOfType(doc, "AWS::S3::BucketPolicy") {
					if refTarget(p["Bucket"]) == bucketID {
						policyID = id
					}
				}
				if policyID == "" {
					bad = append(bad, fmt.Sprintf("%s logs to %s, which has no bucket policy", lbID, bucketID))
					continue
				}
				if !slices.Contains(dependsOn(resources(doc)[lbID]), policyID) {
					bad = append(bad, fmt.Sprintf("%s does not depend on %s: ELB's test write could come first and fail", lbID, policyID))
				}
				path := "${" + bucketID + ".Arn}/"
				if prefix, ok := attrs["access_logs.s3.prefix"].(string); ok && prefix != "" {
					path += prefix + "/"
				}
				path += "AWSLogs/${AWS::AccountId}/*"
				for _, region := range elbRegions() {
					if !letsELBWrite(doc, propsOf(doc, policyID)["PolicyDocument"], region, path) {
						bad = append(bad, fmt.Sprintf("%s: in %s, ELB may not write %s", policyID, region, path))
					}
				}
			}
			return bad
		},
	},
	{
		// Issue 21.
		name:   "log group KMS keys",
		source: "CloudWatch Logs user guide, \"Encrypt log data in CloudWatch Logs using AWS KMS\": the key policy must let logs.REGION.amazonaws.com use the key (kms:Encrypt*, Decrypt*, ReEncrypt*, GenerateDataKey*, Describe*) for the log group's ARN in kms:EncryptionContext:aws:logs:arn; KMS developer guide, \"Default key policy\": a policy without the account's root refuses the policy lockout safety check",
		check: func(doc format.Document) []string {
			var bad []string
			for groupID, group := range resourcesOfType(doc, "AWS::Logs::LogGroup") {
				keyRef, ok := group["KmsKeyId"]
				if !ok {
					continue
				}
				keyID := getAttTarget(keyRef, "Arn")
				key := resources(doc)[keyID]
				if key["Type"] != "AWS::KMS::Key" {
					bad = append(bad, fmt.Sprintf("%s: KmsKeyId %v is not the Arn of a key in the template", groupID, keyRef))
					continue
				}
				statements, _ := at2(key, "Properties", "KeyPolicy", "Statement").([]any)
				var root, logs bool
				for _, st := range statements {
					if at2(st, "Effect") != "Allow" {
						continue
					}
					if aws, _ := literalText(at2(st, "Principal", "AWS")); aws == "arn:x:iam::x:root" && at2(st, "Action") == "kms:*" {
						root = true
					}
					service, _ := literalText(at2(st, "Principal", "Service"))
					arn, _ := literalText(at2(st, "Condition", "ArnLike", "kms:EncryptionContext:aws:logs:arn"))
					actions := fmt.Sprint(at2(st, "Action"))
					if service == "logs.x.amazonaws.com" && strings.HasPrefix(arn, "arn:x:logs:x:x:log-group:") &&
						strings.Contains(actions, "kms:GenerateDataKey*") && strings.Contains(actions, "kms:Decrypt*") && strings.Contains(actions, "kms:Encrypt*") {
						logs = true
					}
				}
				if !root {
					bad = append(bad, keyID+": no statement lets the account manage the key (KMS refuses such a policy)")
				}
				if !logs {
					bad = append(bad, fmt.Sprintf("%s: no statement lets CloudWatch Logs of the Region use the key for %s", keyID, groupID))
				}
			}
			return bad
		},
	},
	{
		// Issue 21.
		name:   "WAF log destinations",
		source: "AWS WAF developer guide, \"Sending web ACL traffic logs to an Amazon CloudWatch Logs log group\": the group's name starts with aws-waf-logs-; its ARN without the \":*\" that a log group's Arn attribute ends in, or WAF answers \"The ARN isn't valid\" (aws-cdk #18253)",
		check: func(doc format.Document) []string {
			var bad []string
			for id, props := range resourcesOfType(doc, "AWS::WAFv2::LoggingConfiguration") {
				destinations, _ := props["LogDestinationConfigs"].([]any)
				for _, d := range destinations {
					text, ok := at2(d, "Fn::Sub").(string)
					group := strings.TrimSuffix(strings.TrimPrefix(text[strings.LastIndex(text, ":")+1:], "${"), "}")
					if !ok || !strings.HasPrefix(text, "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${") {
						bad = append(bad, fmt.Sprintf("%s: destination %v is not a log group's ARN built from its name", id, d))
						continue
					}
					name, _ := literalText(propsOf(doc, group)["LogGroupName"])
					if !strings.HasPrefix(name, "aws-waf-logs-") {
						bad = append(bad, fmt.Sprintf("%s: log group %s is named %q, not aws-waf-logs-...", id, group, name))
					}
				}
			}
			return bad
		},
	},
	{
		// Issue 21.
		name:   "WAF descriptions",
		source: "AWS WAF API reference, CreateWebACL (Description): 1 to 256 characters matching ^[\\w+=:#@/\\-,\\.][\\w+=:#@/\\-,\\.\\s]+[\\w+=:#@/\\-,\\.]$",
		check: func(doc format.Document) []string {
			var bad []string
			description := regexp.MustCompile(`^[\w+=:#@/\-,.][\w+=:#@/\-,.\s]+[\w+=:#@/\-,.]$`)
			for id, props := range resourcesOfType(doc, "AWS::WAFv2::WebACL") {
				if s, ok := literalText(props["Description"]); ok && (!description.MatchString(s) || utf8.RuneCountInString(s) > 256) {
					bad = append(bad, fmt.Sprintf("%s.Description %q has characters WAF rejects, or is over 256", id, s))
				}
			}
			return bad
		},
	},
}

// legacyELBAccounts are the ELB accounts of the Regions available before
// August 2022, which the legacy access-log bucket policy names (ELB user
// guide, "Enable access logs for your Application Load Balancer").
var legacyELBAccounts = map[string]string{
	"us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980", "us-west-2": "797873946194",
	"af-south-1": "098369216593", "ap-east-1": "754344448648", "ap-southeast-3": "589379963580", "ap-south-1": "718504428378",
	"ap-northeast-3": "383597477331", "ap-northeast-2": "600734575887", "ap-southeast-1": "114774131450", "ap-southeast-2": "783225319266",
	"ap-northeast-1": "582318560864", "ca-central-1": "985666609251", "eu-central-1": "054676820928", "eu-west-1": "156460612806",
	"eu-west-2": "652711504416", "eu-south-1": "635631232127", "eu-west-3": "009996457667", "eu-north-1": "897822967062",
	"me-south-1": "076674570225", "sa-east-1": "507241528517", "us-gov-east-1": "190560391635", "us-gov-west-1": "048591011584",
}

// elbRegions are the Regions the access-log rule tries: the legacy ones,
// and the first Regions that came after (the guide's 2023 list: Hyderabad,
// Melbourne, Spain, Zurich, UAE), which never took the legacy policy.
func elbRegions() []string {
	regions := []string{"ap-south-2", "ap-southeast-4", "eu-south-2", "eu-central-2", "me-central-1"}
	for r := range legacyELBAccounts {
		regions = append(regions, r)
	}
	slices.Sort(regions)
	return regions
}

// letsELBWrite reports whether a bucket policy lets ELB's log delivery in
// region write path (a Fn::Sub text): an Allow of s3:PutObject on exactly
// that path, to the service principal, or in a legacy Region to its ELB
// account. A principal from Fn::FindInMap [MAP, !Ref AWS::Region, KEY] is
// looked up in the template's Mappings for the Region; a Region the map
// lacks fails, as FindInMap fails the stack there.
func letsELBWrite(doc format.Document, policy any, region, path string) bool {
	statements, _ := at2(policy, "Statement").([]any)
	for _, st := range statements {
		resource, _ := at2(st, "Resource", "Fn::Sub").(string)
		if at2(st, "Effect") != "Allow" || at2(st, "Action") != "s3:PutObject" || resource != path {
			continue
		}
		if at2(st, "Principal", "Service") == "logdelivery.elasticloadbalancing.amazonaws.com" {
			return true
		}
		account, ok := legacyELBAccounts[region]
		if !ok {
			continue
		}
		principal := at2(st, "Principal", "AWS")
		if find, isMap := at2(principal, "Fn::FindInMap").([]any); isMap && len(find) == 3 && refTarget(find[1]) == "AWS::Region" {
			principal = at2(doc, "Mappings", fmt.Sprint(find[0]), region, fmt.Sprint(find[2]))
		}
		if text, _ := literalText(principal); strings.TrimPrefix(text, "arn:x:iam::") == account+":root" || text == "arn:aws:iam::"+account+":root" {
			return true
		}
	}
	return false
}

// loadBalancerAttributes returns a load balancer's attributes by key.
func loadBalancerAttributes(props map[string]any) map[string]any {
	out := map[string]any{}
	attrs, _ := props["LoadBalancerAttributes"].([]any)
	for _, a := range attrs {
		out[fmt.Sprint(at2(a, "Key"))] = at2(a, "Value")
	}
	return out
}

// getAttTarget returns the logical ID a {"Fn::GetAtt": [ID, attribute]}
// names, or "".
func getAttTarget(v any, attribute string) string {
	list, _ := at2(v, "Fn::GetAtt").([]any)
	if len(list) != 2 || list[1] != attribute {
		return ""
	}
	s, _ := list[0].(string)
	return s
}

// checkAWSRules fails t with every violation of every rule in doc.
func checkAWSRules(t testing.TB, what string, doc format.Document) {
	t.Helper()
	for _, r := range awsRules {
		for _, v := range r.check(doc) {
			t.Errorf("%s breaks %q: %s\n\t(source: %s)", what, r.name, v, r.source)
		}
	}
}

// TestAWSRules proves every golden configuration, and every configuration
// of the update-safety table, keeps the rules AWS enforces at deploy time.
// The YAML golden files are byte for byte what these configurations build
// (TestGolden); the JSON one is read back too. (The templates an earlier
// version built, in testdata/upgrade, are history and are not checked.)
func TestAWSRules(t *testing.T) {
	for _, v := range goldenVariants() {
		checkAWSRules(t, v.name, v.document(t))
	}
	for _, c := range updateChanges {
		if c.earlier == "" {
			checkAWSRules(t, c.name+", "+c.from, variant{cfg: c.before, environment: c.environment}.document(t))
		}
		checkAWSRules(t, c.name+", "+c.to, variant{cfg: c.after, environment: c.environment}.document(t))
	}
	data, err := os.ReadFile(filepath.Join(goldenDir, "default.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := format.Parse(data)
	if err != nil {
		t.Fatalf("default.json: %v", err)
	}
	checkAWSRules(t, "default.json", doc)
}

// TestAWSRulesCatch proves each rule fails the templates it is there to
// stop, among them the defects found in review: each case is a working
// template with one thing broken.
func TestAWSRulesCatch(t *testing.T) {
	tests := []struct {
		rule  string
		cfg   func() stack.Config
		spoil func(doc format.Document)
	}{
		{"security group descriptions", stack.Default, func(doc format.Document) {
			// The description every template had before issue 7.
			rule := at2(doc, "Resources", "TaskSecurityGroup", "Properties", "SecurityGroupEgress").([]any)[0].(map[string]any)
			rule["Description"] = "Image pulls, logs and the application's own outbound calls"
		}},
		{"security group descriptions", stack.Default, func(doc format.Document) {
			propsOf(doc, "TaskFromLoadBalancerIngress")["Description"] = "from the ALB — only"
		}},
		{"security group descriptions", stack.Default, func(doc format.Document) {
			propsOf(doc, "TaskSecurityGroup")["GroupDescription"] = strings.Repeat("a", 256)
		}},
		{"IAM role descriptions", stack.Default, func(doc format.Document) {
			propsOf(doc, "TaskRole")["Description"] = "Role → of the app"
		}},
		{"tags", stack.Default, func(doc format.Document) {
			propsOf(doc, "Cluster")["Tags"] = []any{map[string]any{"Key": "team", "Value": "a;b"}}
		}},
		{"tags", stack.Default, func(doc format.Document) {
			propsOf(doc, "Cluster")["Tags"] = []any{map[string]any{"Key": "aws:x", "Value": "1"}}
		}},
		{"load balancer and target group names", stack.Default, func(doc format.Document) {
			propsOf(doc, "TargetGroup")["Name"] = strings.Repeat("t", 33)
		}},
		{"no empty environment values", named("custom-env"), func(doc format.Document) {
			c := firstContainer(doc)
			c["Environment"] = append(c["Environment"].([]any), map[string]any{"Name": "EMPTY", "Value": ""})
		}},
		{"environment and secret names unique", named("custom-env"), func(doc format.Document) {
			c := firstContainer(doc)
			c["Secrets"] = []any{map[string]any{"Name": "BUILD", "ValueFrom": "arn"}}
		}},
		{"secrets readable, and nothing more", named("secrets"), func(doc format.Document) {
			// A role that forgot the secret behind a Parameter Store reference.
			st := at2(propsOf(doc, "ExecutionRole"), "Policies").([]any)[0]
			for _, s := range at2(st, "PolicyDocument", "Statement").([]any) {
				if at2(s, "Sid") == "ReadSecrets" {
					list := s.(map[string]any)["Resource"].([]any)
					s.(map[string]any)["Resource"] = list[:len(list)-1]
				}
			}
		}},
		{"secrets readable, and nothing more", named("secrets"), func(doc format.Document) {
			// A role wider than the secrets: every parameter under /prod.
			st := at2(propsOf(doc, "ExecutionRole"), "Policies").([]any)[0]
			for _, s := range at2(st, "PolicyDocument", "Statement").([]any) {
				if at2(s, "Sid") == "ReadParameters" {
					s.(map[string]any)["Resource"] = append(s.(map[string]any)["Resource"].([]any),
						map[string]any{"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/prod/*"})
				}
			}
		}},
		{"secrets readable, and nothing more", named("secrets"), func(doc format.Document) {
			// A container secret whose region the role does not name.
			c := firstContainer(doc)
			c["Secrets"] = append(c["Secrets"].([]any), map[string]any{"Name": "OTHER",
				"ValueFrom": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:ssm:eu-west-1:123456789012:parameter/app/flags"}})
		}},
		{"read-only root filesystem has a writable mount", stack.Default, func(doc format.Document) {
			// What --read-only-root-fs emitted before issue 7.
			firstContainer(doc)["ReadonlyRootFilesystem"] = true
		}},
		{"read-only root filesystem has a writable mount", readOnlyRootFS, func(doc format.Document) {
			delete(propsOf(doc, "TaskDefinition"), "Volumes")
		}},
		{"ECS names", readOnlyRootFS, func(doc format.Document) {
			propsOf(doc, "TaskDefinition")["Volumes"].([]any)[0].(map[string]any)["Name"] = "writable/tmp"
		}},
		{"log group names", stack.Default, func(doc format.Document) {
			propsOf(doc, "LogGroup")["LogGroupName"] = "/ecs/my app"
		}},
		{"service load balancer names its container and port", stack.Default, func(doc format.Document) {
			propsOf(doc, "Service")["LoadBalancers"].([]any)[0].(map[string]any)["ContainerPort"] = 8080
		}},
		{"capacity provider strategy", stack.Default, func(doc format.Document) {
			// What a template without Spot emitted before issue 7, now
			// next to the strategy.
			propsOf(doc, "Service")["LaunchType"] = "FARGATE"
		}},
		{"capacity provider strategy", stack.Default, func(doc format.Document) {
			propsOf(doc, "ClusterCapacityProviders")["CapacityProviders"] = []any{"FARGATE_SPOT"}
		}},
		{"capacity provider strategy", stack.Default, func(doc format.Document) {
			propsOf(doc, "Service")["CapacityProviderStrategy"].([]any)[0].(map[string]any)["Weight"] = 0
		}},
		{"Availability Zone rebalancing set", stack.Default, func(doc format.Document) {
			delete(propsOf(doc, "Service"), "AvailabilityZoneRebalancing")
		}},
		{"target group health check timeout under the interval", stack.Default, func(doc format.Document) {
			propsOf(doc, "TargetGroup")["HealthCheckTimeoutSeconds"] = 10
		}},
		{"listener rules", envService, func(doc format.Document) {
			propsOf(doc, "ListenerRule")["Priority"] = 50001
		}},
		{"host condition values", envService, func(doc format.Document) {
			cond := propsOf(doc, "ListenerRule")["Conditions"].([]any)[0].(map[string]any)
			cond["HostHeaderConfig"] = map[string]any{"Values": []any{"api example.com"}}
		}},
		{"host condition values", envService, func(doc format.Document) {
			// What --host localhost emitted before issue 18.
			cond := propsOf(doc, "ListenerRule")["Conditions"].([]any)[0].(map[string]any)
			cond["HostHeaderConfig"] = map[string]any{"Values": []any{"localhost"}}
		}},
		{"host condition values", envService, func(doc format.Document) {
			// What --host api.internal.123 emitted before issue 18.
			cond := propsOf(doc, "ListenerRule")["Conditions"].([]any)[0].(map[string]any)
			cond["HostHeaderConfig"] = map[string]any{"Values": []any{"api.internal.123"}}
		}},
		{"condition values per rule", named("env-service-path-domain"), func(doc format.Document) {
			cond := propsOf(doc, "ListenerRule")["Conditions"].([]any)[1].(map[string]any)
			cond["PathPatternConfig"] = map[string]any{"Values": []any{"/a", "/b", "/c", "/d", "/e"}}
		}},
		{"listener rules", envService, func(doc format.Document) {
			props := propsOf(doc, "ListenerRule")
			props["Conditions"] = append(props["Conditions"].([]any), props["Conditions"].([]any)[0])
		}},
		{"no forced deployment with a blue/green strategy", named("canary"), func(doc format.Document) {
			// What every template emitted before issue 18.
			propsOf(doc, "Service")["ForceNewDeployment"].(map[string]any)["EnableForceNewDeployment"] = true
		}},
		{"services add no rules to the environment's groups", envService, func(doc format.Document) {
			// What every service in an environment emitted before issue 18.
			doc["Resources"].(map[string]any)["LoadBalancerToTasksEgress"] = map[string]any{"Type": "AWS::EC2::SecurityGroupEgress", "Properties": map[string]any{
				"GroupId": map[string]any{"Ref": "LoadBalancerSecurityGroupId"}, "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
				"DestinationSecurityGroupId": map[string]any{"Fn::GetAtt": []any{"TaskSecurityGroup", "GroupId"}},
			}}
		}},
		{"container logs in LogGroup", named("canary"), func(doc format.Document) {
			at2(firstContainer(doc), "LogConfiguration", "Options").(map[string]any)["awslogs-group"] = map[string]any{"Ref": "PauseGateLogGroup"}
		}},
		{"certificate before DNS", named("env-service-path-domain"), func(doc format.Document) {
			// What a service in an environment emitted before issue 18.
			delete(resources(doc)["DnsRecord"], "DependsOn")
		}},
		{"access-log bucket policy", named("hardened"), func(doc format.Document) {
			// The legacy policy, with us-east-1's ELB account: Regions opened
			// since August 2022 never took it.
			statement := at2(propsOf(doc, "AccessLogsBucketPolicy"), "PolicyDocument", "Statement").([]any)[0].(map[string]any)
			statement["Principal"] = map[string]any{"AWS": "arn:aws:iam::127311923021:root"}
		}},
		{"access-log bucket policy", named("hardened"), func(doc format.Document) {
			// The legacy policy through a mapping of the legacy Regions: the
			// mapping has no key for the newer Regions.
			doc["Mappings"] = map[string]any{"ELBAccounts": map[string]any{"us-east-1": map[string]any{"Account": "arn:aws:iam::127311923021:root"}}}
			statement := at2(propsOf(doc, "AccessLogsBucketPolicy"), "PolicyDocument", "Statement").([]any)[0].(map[string]any)
			statement["Principal"] = map[string]any{"AWS": map[string]any{"Fn::FindInMap": []any{"ELBAccounts", map[string]any{"Ref": "AWS::Region"}, "Account"}}}
		}},
		{"access-log bucket policy", named("hardened"), func(doc format.Document) {
			// A prefix the policy does not cover.
			lb := propsOf(doc, "LoadBalancer")
			lb["LoadBalancerAttributes"] = append(lb["LoadBalancerAttributes"].([]any), map[string]any{"Key": "access_logs.s3.prefix", "Value": "shop"})
		}},
		{"access-log bucket policy", named("hardened"), func(doc format.Document) {
			delete(resources(doc)["LoadBalancer"], "DependsOn")
		}},
		{"access-log bucket policy", named("hardened"), func(doc format.Document) {
			sse := at2(propsOf(doc, "AccessLogsBucket"), "BucketEncryption", "ServerSideEncryptionConfiguration").([]any)[0].(map[string]any)
			sse["ServerSideEncryptionByDefault"] = map[string]any{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": map[string]any{"Fn::GetAtt": []any{"LogsKey", "Arn"}}}
		}},
		{"log group KMS keys", named("hardened"), func(doc format.Document) {
			statements := at2(propsOf(doc, "LogsKey"), "KeyPolicy").(map[string]any)
			statements["Statement"] = statements["Statement"].([]any)[:1]
		}},
		{"log group KMS keys", named("hardened"), func(doc format.Document) {
			statements := at2(propsOf(doc, "LogsKey"), "KeyPolicy").(map[string]any)
			statements["Statement"] = statements["Statement"].([]any)[1:]
		}},
		{"WAF log destinations", named("hardened"), func(doc format.Document) {
			propsOf(doc, "WebACLLoggingConfiguration")["LogDestinationConfigs"] = []any{map[string]any{"Fn::GetAtt": []any{"WebACLLogGroup", "Arn"}}}
		}},
		{"WAF log destinations", named("hardened"), func(doc format.Document) {
			propsOf(doc, "WebACLLogGroup")["LogGroupName"] = "/waf/shop"
		}},
		{"WAF descriptions", named("hardened"), func(doc format.Document) {
			propsOf(doc, "WebACL")["Description"] = map[string]any{"Fn::Sub": "Web ACL of stack ${AWS::StackName}'s load balancer (cfnfargate)."}
		}},
		{"listener certificates", environmentWithCertificates, func(doc format.Document) {
			props := propsOf(doc, "ExtraCertificate1")
			props["Certificates"] = append(props["Certificates"].([]any), propsOf(doc, "ExtraCertificate2")["Certificates"].([]any)[0])
		}},
		{"fixed responses", environmentWithCertificates, func(doc format.Document) {
			at2(propsOf(doc, "HttpsListener")["DefaultActions"].([]any)[0], "FixedResponseConfig").(map[string]any)["ContentType"] = "text/xml"
		}},
		{"container image may be pinned by digest", named("ecr-image"), func(doc format.Document) {
			// A pattern that takes tags only.
			param := at2(doc, "Parameters", "ContainerImage").(map[string]any)
			param["AllowedPattern"] = strings.SplitN(param["AllowedPattern"].(string), "(?:@", 2)[0] + "$"
		}},
		{"autoscaling bounds in order", named("autoscaling"), func(doc format.Document) {
			at2(doc, "Parameters", "MinCount").(map[string]any)["Default"] = 11
		}},
		{"header condition names", named("canary"), func(doc format.Document) {
			cond := propsOf(doc, "TestListenerRule")["Conditions"].([]any)[0].(map[string]any)
			cond["HttpHeaderConfig"].(map[string]any)["HttpHeaderName"] = "x test"
		}},
		{"header condition names", named("canary"), func(doc format.Document) {
			// What --test-header Host=x emitted before issue 18.
			cond := propsOf(doc, "TestListenerRule")["Conditions"].([]any)[0].(map[string]any)
			cond["HttpHeaderConfig"].(map[string]any)["HttpHeaderName"] = "Host"
		}},
		{"header condition names", named("canary"), func(doc format.Document) {
			cond := propsOf(doc, "TestListenerRule")["Conditions"].([]any)[0].(map[string]any)
			cond["HttpHeaderConfig"].(map[string]any)["HttpHeaderName"] = "x-canary*"
		}},
		{"listener rules", named("canary"), func(doc format.Document) {
			cond := propsOf(doc, "TestListenerRule")["Conditions"].([]any)[0].(map[string]any)
			cond["HttpHeaderConfig"].(map[string]any)["Values"] = []any{"a b"}
		}},
		{"deployment strategy", named("canary"), func(doc format.Document) {
			at2(propsOf(doc, "Service"), "DeploymentConfiguration", "CanaryConfiguration").(map[string]any)["CanaryPercent"] = 0.05
		}},
		{"deployment strategy", named("canary"), func(doc format.Document) {
			at2(propsOf(doc, "Service"), "DeploymentConfiguration", "CanaryConfiguration").(map[string]any)["CanaryBakeTimeInMinutes"] = 1441
		}},
		{"deployment strategy", named("canary"), func(doc format.Document) {
			// Each wait within 1440 minutes, together over 33 hours.
			dc := at2(propsOf(doc, "Service"), "DeploymentConfiguration").(map[string]any)
			dc["BakeTimeInMinutes"] = 1000
			dc["CanaryConfiguration"].(map[string]any)["CanaryBakeTimeInMinutes"] = 1000
		}},
		{"deployment strategy", named("linear"), func(doc format.Document) {
			// 25% is 3 waits of 700 minutes.
			at2(propsOf(doc, "Service"), "DeploymentConfiguration", "LinearConfiguration").(map[string]any)["StepBakeTimeInMinutes"] = 700
		}},
		{"deployment strategy", named("blue-green"), func(doc format.Document) {
			delete(propsOf(doc, "Service"), "DeploymentController")
		}},
		{"deployment strategy", named("blue-green"), func(doc format.Document) {
			at2(propsOf(doc, "Service"), "DeploymentConfiguration").(map[string]any)["CanaryConfiguration"] = map[string]any{"CanaryPercent": 10}
		}},
		{"blue/green load balancer configuration", named("blue-green"), func(doc format.Document) {
			delete(propsOf(doc, "Service")["LoadBalancers"].([]any)[0].(map[string]any), "AdvancedConfiguration")
		}},
		{"blue/green load balancer configuration", named("blue-green"), func(doc format.Document) {
			at2(propsOf(doc, "Service")["LoadBalancers"].([]any)[0], "AdvancedConfiguration").(map[string]any)["AlternateTargetGroupArn"] = map[string]any{"Ref": "TargetGroup"}
		}},
		{"blue/green load balancer configuration", named("canary"), func(doc format.Document) {
			// A test rule that forwards to the first target group only.
			at2(propsOf(doc, "TestListenerRule")["Actions"].([]any)[0], "ForwardConfig").(map[string]any)["TargetGroups"] = []any{map[string]any{"TargetGroupArn": map[string]any{"Ref": "TargetGroup"}, "Weight": 1}}
		}},
		{"blue/green load balancer configuration", named("env-service-canary"), func(doc format.Document) {
			delete(propsOf(doc, "ListenerRule")["Actions"].([]any)[0].(map[string]any), "ForwardConfig")
		}},
		{"ECS infrastructure role for load balancers", named("blue-green"), func(doc format.Document) {
			delete(propsOf(doc, "LoadBalancerInfrastructureRole"), "ManagedPolicyArns")
		}},
		{"ECS infrastructure role for load balancers", named("blue-green"), func(doc format.Document) {
			at2(propsOf(doc, "LoadBalancerInfrastructureRole"), "AssumeRolePolicyDocument", "Statement").([]any)[0].(map[string]any)["Principal"] = map[string]any{"Service": "ecs-tasks.amazonaws.com"}
		}},
		{"lifecycle hooks", named("canary"), func(doc format.Document) {
			hook := at2(propsOf(doc, "Service"), "DeploymentConfiguration", "LifecycleHooks").([]any)[0].(map[string]any)
			hook["LifecycleStages"] = []any{"PRODUCTION_TRAFFIC_SHIFT"}
		}},
		{"lifecycle hooks", named("canary"), func(doc format.Document) {
			delete(propsOf(doc, "PauseGateInvokeRole"), "Policies")
		}},
		{"lifecycle hooks", named("canary"), func(doc format.Document) {
			code := propsOf(doc, "PauseGateFunction")["Code"].(map[string]any)
			code["ZipFile"] = code["ZipFile"].(string) + strings.Repeat("#", 4096)
		}},
		{"gate reads executionDetails", named("canary"), func(doc format.Document) {
			// The lookup every gate made before issue 18.
			code := propsOf(doc, "PauseGateFunction")["Code"].(map[string]any)
			code["ZipFile"] = strings.Replace(code["ZipFile"].(string), `details = event.get("executionDetails") or {}`, `revision = event.get("targetServiceRevisionArn") or "unknown"`, 1)
		}},
		{"deployment alarms", named("canary"), func(doc format.Document) {
			at2(propsOf(doc, "Service"), "DeploymentConfiguration", "Alarms").(map[string]any)["Rollback"] = false
		}},
		{"deployment alarms", stack.Default, func(doc format.Document) {
			at2(propsOf(doc, "Service"), "DeploymentConfiguration", "Alarms").(map[string]any)["Enable"] = true
		}},
		// What turning the gate, the alarms and blue/green off emitted
		// before issue 18: the properties left out.
		{"off states explicit", stack.Default, func(doc format.Document) {
			delete(at2(propsOf(doc, "Service"), "DeploymentConfiguration").(map[string]any), "LifecycleHooks")
		}},
		{"off states explicit", stack.Default, func(doc format.Document) {
			delete(at2(propsOf(doc, "Service"), "DeploymentConfiguration").(map[string]any), "Alarms")
		}},
		{"off states explicit", stack.Default, func(doc format.Document) {
			delete(at2(propsOf(doc, "Service"), "DeploymentConfiguration").(map[string]any), "Strategy")
		}},
		{"off states explicit", named("blue-green"), func(doc format.Document) {
			delete(at2(propsOf(doc, "Service"), "DeploymentConfiguration", "Alarms").(map[string]any), "Rollback")
		}},
		{"deployment strategy", stack.Default, func(doc format.Document) {
			// A rolling service with a hook.
			at2(propsOf(doc, "Service"), "DeploymentConfiguration").(map[string]any)["LifecycleHooks"] = []any{map[string]any{"LifecycleStages": []any{"POST_SCALE_UP"}}}
		}},
		{"service waits for the listener that forwards to it", stack.Default, func(doc format.Document) {
			// The template before issue 20 waited on the HTTPS listener
			// alone; in a template whose HTTP listener forwards, that is
			// not enough, and no dependency at all never is.
			service := at2(doc, "Resources", "Service").(map[string]any)
			delete(service, "Metadata")
		}},
		{"service waits for the listener that forwards to it", envService, func(doc format.Document) {
			at2(doc, "Resources", "Service").(map[string]any)["DependsOn"] = []any{}
		}},
		{"DependsOn names resources that exist", stack.Default, func(doc format.Document) {
			service := at2(doc, "Resources", "Service").(map[string]any)
			service["DependsOn"] = append(service["DependsOn"].([]any), "HttpsListener")
		}},
		{"deployment alarms", named("canary"), func(doc format.Document) {
			propsOf(doc, "Rollback5xxAlarm")["Metrics"].([]any)[0].(map[string]any)["ReturnData"] = true
		}},
		{"deployment alarms", named("rollback-alarms"), func(doc format.Document) {
			propsOf(doc, "RollbackLatencyAlarm")["Metrics"].([]any)[0].(map[string]any)["Id"] = "P99"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			cfg := tt.cfg()
			doc := variant{cfg: tt.cfg, environment: cfg.Environment.Name != "" && cfg.Name == environmentMarker}.document(t)
			var rule awsRule
			for _, r := range awsRules {
				if r.name == tt.rule {
					rule = r
				}
			}
			if rule.check == nil {
				t.Fatalf("no rule named %q", tt.rule)
			}
			if v := rule.check(doc); len(v) > 0 {
				t.Fatalf("the unbroken template already breaks the rule: %v", v)
			}
			tt.spoil(doc)
			if v := rule.check(doc); len(v) == 0 {
				t.Errorf("rule %q did not catch the broken template", tt.rule)
			}
		})
	}
}

// environmentMarker names the configurations that TestAWSRulesCatch builds
// as an environment's stack.
const environmentMarker = "the-environment"

// environmentWithCertificates is an environment's configuration with two
// extra certificates.
func environmentWithCertificates() stack.Config {
	c := stack.Default()
	c.Name = environmentMarker
	c.Environment.Name = "prod"
	c.LoadBalancer.ExtraCertificates = 2
	return c
}

// envService is a service in an environment, routed by host.
func envService() stack.Config {
	c := stack.Default()
	c.Environment = stack.Environment{Name: "prod", Hosts: []string{"api.example.com"}}
	return c
}

func readOnlyRootFS() stack.Config { return named("read-only-root-fs")() }

// named returns the configuration of the golden variant called name.
func named(name string) func() stack.Config {
	for _, v := range goldenVariants() {
		if v.name == name {
			return v.cfg
		}
	}
	panic("no variant " + name)
}

// resources returns the template's resources by logical ID.
func resources(doc format.Document) map[string]map[string]any {
	out := map[string]map[string]any{}
	all, _ := doc["Resources"].(map[string]any)
	for id, r := range all {
		out[id], _ = r.(map[string]any)
	}
	return out
}

// resourcesOfType returns the properties of every resource of type typ.
func resourcesOfType(doc format.Document, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range resources(doc) {
		if r["Type"] == typ {
			p, _ := r["Properties"].(map[string]any)
			out[id] = p
		}
	}
	return out
}

// containers returns every container definition, keyed by where it is.
func containers(doc format.Document) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, props := range resourcesOfType(doc, "AWS::ECS::TaskDefinition") {
		defs, _ := props["ContainerDefinitions"].([]any)
		for i, d := range defs {
			out[fmt.Sprintf("%s container %d", id, i)], _ = d.(map[string]any)
		}
	}
	return out
}

// ruleCondition is one condition of a listener rule: its field, its
// values, and the header name of an http-header condition.
type ruleCondition struct {
	field, header string
	values        []string
}

// ruleConditions returns the conditions of a listener rule's properties.
func ruleConditions(props map[string]any) []ruleCondition {
	var out []ruleCondition
	conditions, _ := props["Conditions"].([]any)
	for _, c := range conditions {
		cond, _ := c.(map[string]any)
		rc := ruleCondition{field: fmt.Sprint(cond["Field"])}
		var list []any
		switch rc.field {
		case "host-header":
			list, _ = at2(cond, "HostHeaderConfig", "Values").([]any)
		case "path-pattern":
			list, _ = at2(cond, "PathPatternConfig", "Values").([]any)
		case "http-header":
			list, _ = at2(cond, "HttpHeaderConfig", "Values").([]any)
			rc.header = fmt.Sprint(at2(cond, "HttpHeaderConfig", "HttpHeaderName"))
		default:
			list, _ = cond["Values"].([]any)
		}
		for _, v := range list {
			rc.values = append(rc.values, fmt.Sprint(v))
		}
		out = append(out, rc)
	}
	return out
}

// dependsOn returns a resource's DependsOn as a list.
func dependsOn(r map[string]any) []string {
	switch d := r["DependsOn"].(type) {
	case string:
		return []string{d}
	case []any:
		var out []string
		for _, id := range d {
			out = append(out, fmt.Sprint(id))
		}
		return out
	}
	return nil
}

// propsOf returns the properties of resource id.
func propsOf(doc format.Document, id string) map[string]any {
	return at2(doc, "Resources", id, "Properties").(map[string]any)
}

func firstContainer(doc format.Document) map[string]any {
	return at2(doc, "Resources", "TaskDefinition", "Properties", "ContainerDefinitions").([]any)[0].(map[string]any)
}

// literalText returns the text of a string, or of a Fn::Sub with its ${...}
// variables replaced by "x", which stands for what CloudFormation fills in
// (stack names and IDs keep to letters, digits and hyphens). Other values
// are not literal.
func literalText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case map[string]any:
		sub, ok := x["Fn::Sub"]
		if !ok {
			return "", false
		}
		if list, ok := sub.([]any); ok && len(list) > 0 {
			sub = list[0]
		}
		s, ok := sub.(string)
		return subVariable.ReplaceAllString(s, "x"), ok
	}
	return "", false
}

// secretARNText returns a secret's ARN, from a string or a Fn::Sub whose
// pseudo parameters stay as they are (they read the same in the role).
func secretARNText(v any) (string, bool) {
	if s, ok := v.(string); ok {
		return s, strings.HasPrefix(s, "arn:")
	}
	m, _ := v.(map[string]any)
	s, ok := m["Fn::Sub"].(string)
	return s, ok && strings.HasPrefix(s, "arn:")
}

// splitSecretARN returns the service of a secret's ARN, the ARN without
// the selector ECS reads a JSON key by, and the resource part
// (parameter/NAME or secret:NAME).
func splitSecretARN(arn string) (service, base, resource string) {
	// The pseudo parameters hold "::", which is not a field separator.
	fields := strings.Split(pseudoVariable.ReplaceAllStringFunc(arn, func(v string) string { return strings.ReplaceAll(v, ":", "\x00") }), ":")
	for i := range fields {
		fields[i] = strings.ReplaceAll(fields[i], "\x00", ":")
	}
	if len(fields) < 6 {
		return "", arn, ""
	}
	service = fields[2]
	n := 6
	if service == "secretsmanager" && len(fields) >= 7 {
		n = 7
	}
	base = strings.Join(fields[:n], ":")
	return service, base, strings.Join(fields[5:n], ":")
}

var pseudoVariable = regexp.MustCompile(`\$\{AWS::[A-Za-z]+\}`)

// roleGrants returns the parameters and secrets the role that roleArn
// names (a Fn::GetAtt of the template's role) may read.
func roleGrants(doc format.Document, roleArn any) (params, secrets map[string]bool) {
	params, secrets = map[string]bool{}, map[string]bool{}
	var id string
	switch ref := at2(roleArn, "Fn::GetAtt").(type) {
	case []any:
		id, _ = ref[0].(string)
	case string:
		id, _, _ = strings.Cut(ref, ".")
	}
	for _, document := range rolePolicyDocuments(doc, id) {
		statements, _ := at2(document, "Statement").([]any)
		for _, st := range statements {
			var into map[string]bool
			switch at2(st, "Action") {
			case "ssm:GetParameters":
				into = params
			case "secretsmanager:GetSecretValue":
				into = secrets
			default:
				continue
			}
			list, _ := at2(st, "Resource").([]any)
			for _, r := range list {
				if arn, ok := secretARNText(r); ok {
					into[arn] = true
				}
			}
		}
	}
	return params, secrets
}

// rolePolicyDocuments returns the policy documents that give the role id
// of doc its permissions: its inline policies, and the customer managed
// policies of the template that its ManagedPolicyArns refer to (as
// --hardened attaches them).
func rolePolicyDocuments(doc format.Document, id string) []any {
	var documents []any
	props := propsOf(doc, id)
	policies, _ := props["Policies"].([]any)
	for _, p := range policies {
		documents = append(documents, at2(p, "PolicyDocument"))
	}
	arns, _ := props["ManagedPolicyArns"].([]any)
	for _, a := range arns {
		if policy := refTarget(a); at2(doc, "Resources", policy, "Type") == "AWS::IAM::ManagedPolicy" {
			documents = append(documents, at2(propsOf(doc, policy), "PolicyDocument"))
		}
	}
	return documents
}

// refTarget returns the logical ID a {"Ref": ID} names, or "".
func refTarget(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["Ref"].(string)
	return s
}

// intIn reads an integer and reports whether it is within lo and hi.
func intIn(v any, lo, hi int) (int, bool) {
	var n int
	if _, err := fmt.Sscan(fmt.Sprint(v), &n); err != nil || fmt.Sprint(n) != fmt.Sprint(v) {
		return 0, false
	}
	return n, n >= lo && n <= hi
}

// tenths reports whether v is a whole number of tenths within lo and hi
// tenths.
func tenths(v any, lo, hi int) bool {
	var f float64
	if _, err := fmt.Sscan(fmt.Sprint(v), &f); err != nil {
		return false
	}
	n := f * 10
	return math.Abs(n-math.Round(n)) < 1e-6 && int(math.Round(n)) >= lo && int(math.Round(n)) <= hi
}

// trusts reports whether a role's trust policy lets service assume it.
func trusts(role map[string]any, service string) bool {
	statements, _ := at2(role, "AssumeRolePolicyDocument", "Statement").([]any)
	for _, s := range statements {
		if at2(s, "Effect") == "Allow" && at2(s, "Principal", "Service") == service && at2(s, "Action") == "sts:AssumeRole" {
			return true
		}
	}
	return false
}

func canonicalJSON(v any) string { return canonical(v) }

// at2 walks doc along map keys and returns nil where the path ends.
func at2(doc any, path ...string) any {
	cur := doc
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// TestAWSRulesNamed keeps each rule's name unique, so TestAWSRulesCatch
// finds the one it means, and sorted output stable.
func TestAWSRulesNamed(t *testing.T) {
	var names []string
	for _, r := range awsRules {
		if r.source == "" {
			t.Errorf("rule %q has no source", r.name)
		}
		names = append(names, r.name)
	}
	sorted := slices.Clone(names)
	sort.Strings(sorted)
	if len(slices.Compact(sorted)) != len(names) {
		t.Errorf("rule names are not unique: %v", names)
	}
}
