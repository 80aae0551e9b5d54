package stack

import (
	"github.com/awslabs/goformation/v7/cloudformation/logs"
	"github.com/awslabs/goformation/v7/cloudformation/policies"
	"github.com/awslabs/goformation/v7/cloudformation/wafv2"

	"github.com/cfnfargate/cfnfargate/stack/internal/cloudformation"
)

// addWebACL associates the load balancer with a regional AWS WAF web ACL:
// --waf-acl-arn, or with hardened and none given a web ACL the stack
// creates, of AWS's managed common rule set, which logs to an encrypted
// log group of its own.
func addWebACL(t *cloudformation.Template, cfg Config) {
	var arn string
	switch {
	case cfg.LoadBalancer.WAFWebACLArn != "":
		arn = partitionNeutral(cfg.LoadBalancer.WAFWebACLArn)
	case cfg.Hardened:
		addOwnWebACL(t, cfg)
		arn = cloudformation.GetAtt(idWebACLResource, "Arn")
	default:
		return
	}
	t.Resources[idWebACL] = &wafv2.WebACLAssociation{
		ResourceArn: cloudformation.Ref(idLoadBalancer),
		WebACLArn:   arn,
	}
}

// webACLMetricName is the CloudWatch metric prefix of the stack's web ACL:
// up to 255 of letters, digits and _#:.-/ (AWS WAF API reference,
// VisibilityConfig); application and environment names keep to letters,
// digits and hyphens.
func webACLMetricName(cfg Config) string {
	if cfg.Environment.Name != "" && !cfg.Environment.Dedicated {
		return "cfnfargate-env-" + cfg.Environment.Name
	}
	return "cfnfargate-" + cfg.Name
}

// commonRuleSet is AWS's managed rule group against the OWASP Top 10 kind
// of request: "Core rule set (CRS) managed rule group" in the AWS WAF
// developer guide. It has no fee beyond the web ACL's and the rule's. Its
// SizeRestrictions_BODY rule blocks request bodies over 8 KB; an
// application that takes larger uploads needs a web ACL of its own
// (--waf-acl-arn), as the README says.
const commonRuleSet = "AWSManagedRulesCommonRuleSet"

func addOwnWebACL(t *cloudformation.Template, cfg Config) {
	metric := webACLMetricName(cfg)
	t.Resources[idWebACLResource] = &wafv2.WebACL{
		// WAF allows letters, digits, spaces and _+=:#@/-,. only in a
		// description (AWS WAF API reference, CreateWebACL; TestAWSRules).
		Description:   cloudformation.SubPtr("The web ACL of the load balancer of stack ${AWS::StackName}: AWS managed common rule set, made by cfnfargate"),
		Scope:         "REGIONAL",
		DefaultAction: &wafv2.WebACL_DefaultAction{Allow: &wafv2.WebACL_AllowAction{}},
		Rules: []wafv2.WebACL_Rule{{
			Name:     commonRuleSet,
			Priority: 0,
			// A rule group's own actions apply: None overrides nothing.
			OverrideAction: &wafv2.WebACL_OverrideAction{None: map[string]any{}},
			Statement: &wafv2.WebACL_Statement{ManagedRuleGroupStatement: &wafv2.WebACL_ManagedRuleGroupStatement{
				VendorName: "AWS",
				Name:       commonRuleSet,
			}},
			VisibilityConfig: &wafv2.WebACL_VisibilityConfig{CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: metric + "-" + commonRuleSet},
		}},
		VisibilityConfig: &wafv2.WebACL_VisibilityConfig{CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: metric},
		Tags:             resourceTags(cfg),
	}

	// WAF.11: the web ACL logs every request it sees. WAF logs only to a
	// log group whose name starts with aws-waf-logs- (AWS WAF developer
	// guide, "Sending web ACL traffic logs to an Amazon CloudWatch Logs log
	// group", naming requirements); the stack's ID keeps it apart from a
	// group a deleted stack of the same name kept.
	group := &logs.LogGroup{
		LogGroupName: cloudformation.String(cloudformation.SubVars("aws-waf-logs-${AWS::StackName}-${StackUUID}", map[string]any{
			"StackUUID": cloudformation.Select(2, cloudformation.Split("/", cloudformation.Ref("AWS::StackId"))),
		})),
		Tags: resourceTags(cfg),
	}
	hardenLogGroup(t, cfg, group)
	group.AWSCloudFormationUpdateReplacePolicy = policies.UpdateReplacePolicy("Retain")
	group.AWSCloudFormationDeletionPolicy = policies.DeletionPolicy("Delete")
	if cfg.DeletionProtection {
		group.AWSCloudFormationDeletionPolicy = policies.DeletionPolicy("Retain")
	}
	t.Resources[idWebACLLogGroup] = group
	t.Resources[idWebACLLogging] = &wafv2.LoggingConfiguration{
		ResourceArn: cloudformation.GetAtt(idWebACLResource, "Arn"),
		// The group's ARN without the ":*" that its Arn attribute ends in:
		// WAF refuses that form ("The ARN isn't valid", aws-cdk #18253).
		LogDestinationConfigs: []string{cloudformation.Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${" + idWebACLLogGroup + "}")},
		// The log holds each request's headers: leave out the ones that
		// carry credentials.
		RedactedFields: []wafv2.LoggingConfiguration_FieldToMatch{
			{SingleHeader: &wafv2.LoggingConfiguration_SingleHeader{Name: "authorization"}},
			{SingleHeader: &wafv2.LoggingConfiguration_SingleHeader{Name: "cookie"}},
		},
	}
}
