package stack

import (
	"fmt"
	"slices"
	"strings"
)

// The hardened template (Config.Hardened) passes the security controls that
// platform teams' auditors check: AWS Security Hub's Foundational Security
// Best Practices (FSBP) and its NIST SP 800-53 rev 5 standard, for ECS,
// Elastic Load Balancing, CloudWatch Logs, IAM, KMS, S3 and WAF. Controls
// lists them, each with how the template meets it; the README's table is
// generated from that list, and a test checks each one against the
// template. UnmetControls lists the ones it cannot meet, and why.
//
// Each part is built beside the part it hardens: the KMS key in logs.go,
// the access-log bucket in accesslogs.go, the web ACL in waf.go, the
// managed policies in iam.go, the listeners in loadbalancer.go and the
// container's user in ecs.go.

// hardenedRetentionDays is how long the hardened template keeps logs:
// CloudWatch.16 fails a log group kept less than a year ("CloudWatch log
// groups should be retained for at least 1 year"; its minRetentionTime
// defaults to 365).
const hardenedRetentionDays = 365

// ApplyHardened gives every setting with a hardened value (Setting.Hardened)
// that value, unless given reports that the user gave the setting: a flag,
// an environment variable or the config file. A setting the user gave keeps
// its value even when it equals the default (--log-retention-days 30 stays
// 30), and Warnings names the control it breaks. It does nothing without
// Hardened, and returns the keys it set.
func (c *Config) ApplyHardened(given func(key string) bool) []string {
	if !c.Hardened {
		return nil
	}
	var set []string
	for _, s := range settings {
		if s.Hardened == "" || (given != nil && given(s.Key)) {
			continue
		}
		if err := s.Set(c, []string{s.Hardened}); err != nil {
			// A programming error in the table, which
			// TestHardenedValuesAreValid catches.
			panic(fmt.Sprintf("stack: hardened value of setting %s: %v", s.Key, err))
		}
		set = append(set, s.Key)
	}
	return set
}

// Security Hub standards of Control.Standards.
const (
	// StandardFSBP is AWS Foundational Security Best Practices v1.0.0.
	StandardFSBP = "FSBP"
	// StandardNIST is NIST SP 800-53 Revision 5.
	StandardNIST = "NIST 800-53"
)

// Control is one security control the hardened template passes.
type Control struct {
	// ID is the Security Hub control ID, such as ECS.5; for a control
	// Security Hub has no ID for, the AWS Config managed rule that checks
	// it, such as cloudwatch-log-group-encrypted.
	ID    string
	Title string
	// Standards are the Security Hub standards that hold the control;
	// empty when we could not confirm one.
	Standards []string
	// NIST are the NIST SP 800-53 rev 5 families of the requirements
	// Security Hub relates the control to (AC, AU, SC, ...); empty when it
	// relates none.
	NIST []string
	// Met is how the hardened template meets the control.
	Met string
	// Place is the stack that meets the control when the service runs in
	// a shared environment: the environment's (its load balancer and
	// cluster), the service's, or both.
	Place Place
	// breaks, when not nil, names the setting whose value, given with
	// hardened, breaks the control and describes that value; key is ""
	// when cfg keeps the control.
	breaks func(cfg Config) (key, value string)
}

// Controls returns the controls the hardened template passes, in the
// README's order.
func Controls() []Control { return slices.Clone(controls) }

// UnmetControl is a control the hardened template does not pass, and why.
type UnmetControl struct {
	ID, Title string
	Standards []string
	// Why the template cannot meet it, and Source, the AWS document that
	// says so.
	Why, Source string
}

// UnmetControls returns the controls of the same services that the
// hardened template does not pass.
func UnmetControls() []UnmetControl { return slices.Clone(unmetControls) }

var (
	fsbpNIST = []string{StandardFSBP, StandardNIST}
	nistOnly = []string{StandardNIST}
	fsbpOnly = []string{StandardFSBP}
)

// controls: the IDs, titles and NIST mappings are Security Hub's ("Security
// Hub CSPM controls reference" and its per-service pages: "Related
// requirements"), and the standards its FSBP and NIST 800-53 standard
// pages, as read in 2026-12.
var controls = []Control{
	{ID: "ECS.2", Title: "ECS services should not have public IP addresses assigned to them automatically", Standards: fsbpNIST, NIST: []string{"AC", "SC"}, Place: PlaceService,
		Met:    "the AssignPublicIp parameter allows DISABLED only: the tasks run in the private subnets",
		breaks: func(c Config) (string, string) { return onIf(c.Service.PublicTasks, KeyPublicTasks) }},
	{ID: "ECS.4", Title: "ECS containers should run as non-privileged", Standards: fsbpNIST, NIST: []string{"AC"}, Place: PlaceService,
		Met: "no container is privileged (Fargate has no privileged containers)"},
	{ID: "ECS.5", Title: "ECS task definitions should configure containers to be limited to read-only access to root filesystems", Standards: fsbpNIST, NIST: []string{"AC"}, Place: PlaceService,
		Met:    "`ReadonlyRootFilesystem: true`, with a writable volume for each `--writable-path`",
		breaks: func(c Config) (string, string) { return offIf(!c.Container.ReadOnlyRootFilesystem, KeyReadOnlyRootFS) }},
	{ID: "ECS.8", Title: "Secrets should not be passed as container environment variables", Standards: fsbpNIST, NIST: []string{"CA", "CM"}, Place: PlaceService,
		Met:    "no AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or ECS_ENGINE_AUTH_DATA among the environment variables; secrets come from Secrets Manager or SSM (`--secret`)",
		breaks: credentialVariables},
	{ID: "ECS.9", Title: "ECS task definitions should have a logging configuration", Standards: fsbpNIST, NIST: []string{"AC", "AU", "CA", "SC", "SI"}, Place: PlaceService,
		Met: "the awslogs driver, to the stack's log group"},
	{ID: "ECS.10", Title: "ECS Fargate services should run on the latest Fargate platform version", Standards: fsbpNIST, NIST: []string{"SI"}, Place: PlaceService,
		Met: "`LATEST` or `1.4.0`, the latest Linux platform version"},
	{ID: "ECS.12", Title: "ECS clusters should use Container Insights", Standards: fsbpNIST, NIST: []string{"AU", "CA", "SI"}, Place: PlaceEnvironment,
		Met: "`containerInsights` enabled on the stack's cluster",
		breaks: func(c Config) (string, string) {
			switch {
			case c.Service.Cluster != "":
				return KeyCluster, "cluster " + c.Service.Cluster + ", whose Container Insights are its own,"
			case !c.Service.ContainerInsights:
				return KeyNoContainerInsights, KeyNoContainerInsights
			}
			return "", ""
		}},
	{ID: "ECS.17", Title: "ECS task definitions should not use host network mode", Standards: nistOnly, NIST: []string{"AC"}, Place: PlaceService,
		Met: "`NetworkMode: awsvpc`, which Fargate requires"},
	{ID: "ECS.20", Title: "ECS task definitions should configure non-root users in Linux container definitions", Place: PlaceService,
		Met: "`User` from `--user`, never root or 0"},

	{ID: "ELB.1", Title: "Application Load Balancer should be configured to redirect all HTTP requests to HTTPS", Standards: fsbpNIST, NIST: []string{"AC", "IA", "SC", "SI"}, Place: PlaceEnvironment,
		Met: "no HTTP listener, so no HTTP request to redirect"},
	{ID: "ELB.4", Title: "Application Load Balancer should be configured to drop invalid http headers", Standards: fsbpNIST, NIST: []string{"SC"}, Place: PlaceEnvironment,
		Met: "`routing.http.drop_invalid_header_fields.enabled: true` (every template)"},
	{ID: "ELB.5", Title: "Application and Classic Load Balancers logging should be enabled", Standards: fsbpNIST, NIST: []string{"AC", "AU", "CA", "SC", "SI"}, Place: PlaceEnvironment,
		Met: "access logs to the bucket the stack creates, or to `--access-logs-bucket`"},
	{ID: "ELB.6", Title: "Application, Gateway, and Network Load Balancers should have deletion protection enabled", Standards: fsbpNIST, NIST: []string{"CA", "CM", "SC"}, Place: PlaceEnvironment,
		Met:    "`deletion_protection.enabled: true` (`--deletion-protection`)",
		breaks: func(c Config) (string, string) { return offIf(!c.DeletionProtection, KeyDeletionProtection) }},
	{ID: "ELB.12", Title: "Application Load Balancer should be configured with defensive or strictest desync mitigation mode", Standards: fsbpNIST, NIST: []string{"AC", "CA", "CM"}, Place: PlaceEnvironment,
		Met: "`routing.http.desync_mitigation_mode: defensive`, written out"},
	{ID: "ELB.13", Title: "Application, Network and Gateway Load Balancers should span multiple Availability Zones", Standards: fsbpNIST, NIST: []string{"CP", "SC", "SI"}, Place: PlaceEnvironment,
		Met: "subnets in at least two Availability Zones, which an Application Load Balancer requires"},
	{ID: "ELB.16", Title: "Application Load Balancers should be associated with an AWS WAF web ACL", Standards: nistOnly, NIST: []string{"AC"}, Place: PlaceEnvironment,
		Met: "a web ACL of AWS's managed common rule set that the stack creates, or `--waf-acl-arn`"},
	{ID: "ELB.17", Title: "Application and Network Load Balancers with listeners should use recommended security policies", Standards: fsbpNIST, NIST: []string{"AC", "IA", "SC", "SI"}, Place: PlaceEnvironment,
		Met: "`" + DefaultSSLPolicy + "`, one of the control's recommended policies",
		breaks: func(c Config) (string, string) {
			if slices.Contains(RecommendedSSLPolicies, c.LoadBalancer.SSLPolicy) {
				return "", ""
			}
			return KeySSLPolicy, KeySSLPolicy + " " + c.LoadBalancer.SSLPolicy
		}},
	{ID: "ELB.18", Title: "Application and Network Load Balancer listeners should use secure protocols to encrypt data in transit", Standards: fsbpOnly, Place: PlaceEnvironment,
		Met: "one listener, HTTPS on port 443; the load balancer's security group opens 443 only"},

	{ID: "CloudWatch.16", Title: "CloudWatch log groups should be retained for at least 1 year", Standards: nistOnly, NIST: []string{"AU", "CA", "SI"}, Place: PlaceBoth,
		Met: "365 days on every log group of the stack",
		breaks: func(c Config) (string, string) {
			if d := c.Logs.RetentionDays; d != 0 && d < hardenedRetentionDays {
				return KeyLogRetentionDays, fmt.Sprintf("%s %d", KeyLogRetentionDays, d)
			}
			return "", ""
		}},
	{ID: "cloudwatch-log-group-encrypted", Title: "CloudWatch log groups should be encrypted with a KMS key (an AWS Config rule; Security Hub has no control for it)", Place: PlaceBoth,
		Met: "every log group of the stack is encrypted with the stack's customer-managed KMS key"},

	{ID: "IAM.1", Title: `IAM policies should not allow full "*" administrative privileges`, Standards: fsbpNIST, NIST: []string{"AC"}, Place: PlaceService,
		Met: "no policy allows every action on every resource"},
	{ID: "IAM.21", Title: "IAM customer managed policies that you create should not allow wildcard actions for services", Standards: fsbpNIST, NIST: []string{"AC"}, Place: PlaceService,
		Met: "every action is named; none is `service:*`"},
	{ID: "iam-no-inline-policy-check", Title: "IAM roles should not have inline policies (an AWS Config rule; Security Hub has no control for it)", Place: PlaceService,
		Met: "each role's permissions are a customer managed policy (`AWS::IAM::ManagedPolicy`) of their own, and the role's `Policies` is empty"},

	{ID: "KMS.1", Title: "IAM customer managed policies should not allow decryption actions on all KMS keys", Standards: fsbpNIST, NIST: []string{"AC"}, Place: PlaceService,
		Met: "no policy allows `kms:Decrypt` or `kms:ReEncryptFrom`"},
	{ID: "KMS.2", Title: "IAM principals should not have IAM inline policies that allow decryption actions on all KMS keys", Standards: fsbpNIST, NIST: []string{"AC"}, Place: PlaceService,
		Met: "no inline policies"},
	{ID: "KMS.3", Title: "AWS KMS keys should not be deleted unintentionally", Standards: fsbpNIST, NIST: []string{"SC"}, Place: PlaceBoth,
		Met: "the key is kept (`DeletionPolicy: Retain`) when the stack is deleted or `--hardened` is turned off: the logs it encrypted stay readable"},
	{ID: "KMS.4", Title: "AWS KMS key rotation should be enabled", Standards: nistOnly, NIST: []string{"SC"}, Place: PlaceBoth,
		Met: "`EnableKeyRotation: true`"},
	{ID: "KMS.5", Title: "KMS keys should not be publicly accessible", Standards: fsbpOnly, Place: PlaceBoth,
		Met: "the key policy names the account, and CloudWatch Logs in the stack's Region for log groups of this account and Region only"},

	{ID: "S3.2", Title: "S3 general purpose buckets should block public read access", Standards: fsbpNIST, NIST: []string{"AC", "SC"}, Place: PlaceEnvironment,
		Met: "the access-log bucket blocks public access, and its policy grants nothing but log delivery"},
	{ID: "S3.3", Title: "S3 general purpose buckets should block public write access", Standards: fsbpNIST, NIST: []string{"AC", "SC"}, Place: PlaceEnvironment,
		Met: "the same"},
	{ID: "S3.5", Title: "S3 general purpose buckets should require requests to use SSL", Standards: fsbpNIST, NIST: []string{"AC", "IA", "SC", "SI"}, Place: PlaceEnvironment,
		Met: "the bucket policy denies every request without `aws:SecureTransport`"},
	{ID: "S3.6", Title: "S3 general purpose bucket policies should restrict access to other AWS accounts", Standards: fsbpNIST, NIST: []string{"CA", "CM"}, Place: PlaceEnvironment,
		Met: "the bucket policy allows only `s3:PutObject`, to ELB's log delivery service, under this account's prefix"},
	{ID: "S3.8", Title: "S3 general purpose buckets should block public access", Standards: fsbpNIST, NIST: []string{"AC", "SC"}, Place: PlaceEnvironment,
		Met: "all four block-public-access settings on the bucket"},
	{ID: "S3.10", Title: "S3 general purpose buckets with versioning enabled should have Lifecycle configurations", Standards: nistOnly, NIST: []string{"CP", "SC", "SI"}, Place: PlaceEnvironment,
		Met: "the versioned bucket's lifecycle expires the logs, their old versions and their delete markers"},
	{ID: "S3.12", Title: "ACLs should not be used to manage user access to S3 general purpose buckets", Standards: fsbpNIST, NIST: []string{"AC"}, Place: PlaceEnvironment,
		Met: "`ObjectOwnership: BucketOwnerEnforced`: ACLs are off"},
	{ID: "S3.13", Title: "S3 general purpose buckets should have Lifecycle configurations", Standards: fsbpNIST, NIST: []string{"CP", "SC", "SI"}, Place: PlaceEnvironment,
		Met: "logs expire after `--log-retention-days` (365)"},
	{ID: "S3.14", Title: "S3 general purpose buckets should have versioning enabled", Standards: nistOnly, NIST: []string{"AU", "CP", "SC", "SI"}, Place: PlaceEnvironment,
		Met: "versioning on, so a log overwritten or deleted by hand stays recoverable until its lifecycle ends"},

	{ID: "WAF.10", Title: "AWS WAF web ACLs should have at least one rule or rule group", Standards: fsbpNIST, NIST: []string{"CA", "CM"}, Place: PlaceEnvironment,
		Met: "the web ACL the stack creates runs `AWSManagedRulesCommonRuleSet`"},
	{ID: "WAF.11", Title: "AWS WAF web ACL logging should be activated", Standards: nistOnly, NIST: []string{"AC", "AU", "CA", "SC", "SI"}, Place: PlaceEnvironment,
		Met: "it logs to an encrypted log group (`aws-waf-logs-...`, as WAF requires), with the `authorization` and `cookie` headers redacted"},
}

// unmetControls: the S3 controls an access-log bucket that the stack
// creates cannot meet, and the controls outside what one stack decides.
var unmetControls = []UnmetControl{
	{ID: "S3.9", Title: "S3 general purpose buckets should have server access logging enabled", Standards: fsbpNIST,
		Why:    "the bucket's own access logs need another bucket, whose logs in turn need one more; S3 lets a bucket log into itself but advises against it, as each log file it delivers is logged in turn",
		Source: "Amazon S3 user guide, \"Enabling Amazon S3 server access logging\""},
	{ID: "S3.7", Title: "S3 general purpose buckets should use cross-Region replication", Standards: nistOnly,
		Why:    "replication needs another bucket, in another Region, with its own role",
		Source: "Amazon S3 user guide, \"Requirements and considerations for replication\""},
	{ID: "S3.17", Title: "S3 general purpose buckets should be encrypted at rest with AWS KMS keys", Standards: nistOnly,
		Why:    "ELB writes access logs only to a bucket encrypted with S3-managed keys: \"The only server-side encryption option that's supported is Amazon S3-managed keys (SSE-S3)\"",
		Source: "ELB user guide, \"Enable access logs for your Application Load Balancer\", bucket requirements"},
	{ID: "S3.15", Title: "S3 general purpose buckets should have Object Lock enabled", Standards: nistOnly,
		Why:    "Object Lock keeps nothing without a default retention period, and with one every upload must carry a Content-MD5 or checksum header, which ELB's log delivery is not documented to send",
		Source: "Amazon S3 user guide, \"Configuring S3 Object Lock\""},
	{ID: "S3.11", Title: "S3 general purpose buckets should have event notifications enabled", Standards: nistOnly,
		Why:    "a notification needs a destination (an SNS topic, SQS queue or Lambda function) and someone to read it",
		Source: "Amazon S3 user guide, \"Amazon S3 Event Notifications\""},
	{ID: "S3.20", Title: "S3 general purpose buckets should have MFA delete enabled", Standards: nistOnly,
		Why:    "only the account's root user can turn MFA delete on, with its MFA device; CloudFormation cannot",
		Source: "Amazon S3 user guide, \"Configuring MFA delete\""},
	{ID: "S3.1", Title: "S3 general purpose buckets should have block public access settings enabled", Standards: fsbpNIST,
		Why:    "an account-wide setting (S3 Control PutPublicAccessBlock), not one bucket's: one application's stack should not change it for the account. The bucket's own setting passes S3.8",
		Source: "Security Hub CSPM controls for Amazon S3, S3.1"},
	{ID: "ELB.21, ELB.22", Title: "Target groups should use encrypted health check and transport protocols",
		Why:    "HTTPS from the load balancer to the tasks needs the image to serve TLS on its port, with a certificate of its own; the template cannot give it one",
		Source: "Security Hub CSPM controls for Elastic Load Balancing, ELB.21 and ELB.22"},
	{ID: "Lambda.3", Title: "Lambda functions should be in a VPC", Standards: nistOnly,
		Why:    "only with `--pause-before-production`: the pause gate's function is not in a VPC, as it would need subnets with a route to the SSM, CloudFormation and ECS endpoints",
		Source: "Security Hub CSPM controls for AWS Lambda, Lambda.3"},
}

func onIf(on bool, key string) (string, string) {
	if on {
		return key, key
	}
	return "", ""
}

func offIf(off bool, key string) (string, string) {
	if off {
		return key, key + " off"
	}
	return "", ""
}

// credentialVariables names the environment variables that ECS.8 fails a
// task definition for (its secretKeys parameter, not customizable).
func credentialVariables(c Config) (string, string) {
	var found []string
	for _, e := range c.Container.Environment {
		if slices.Contains([]string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA"}, e.Name) {
			found = append(found, e.Name)
		}
	}
	if len(found) == 0 {
		return "", ""
	}
	return KeyEnv, KeyEnv + " " + strings.Join(found, ", ")
}

// RecommendedSSLPolicies are the security policies ELB.17 accepts (its
// sslPolicies parameter, not customizable; Security Hub CSPM controls for
// Elastic Load Balancing, 2026).
var RecommendedSSLPolicies = []string{
	"ELBSecurityPolicy-TLS13-1-3-2021-06",
	"ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
	"ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
	"ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
	"ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
}

// hardenedWarnings names, for a hardened cfg, each control that a value
// the user gave breaks, as a problem of that setting with KeyHardened
// among its Related settings.
func hardenedWarnings(c Config, place func(Place) bool) []Problem {
	if !c.Hardened {
		return nil
	}
	var w []Problem
	for _, ctl := range controls {
		if ctl.breaks == nil || !place(ctl.Place) {
			continue
		}
		if key, what := ctl.breaks(c); key != "" {
			// What passes it depends on where the value came from (left
			// out, or reset when a deploy keeps it): the caller's to say.
			w = append(w, Problem{Key: key, Related: []string{KeyHardened}, Message: fmt.Sprintf(
				"%s breaks %s (%s), which hardened otherwise passes", what, ctl.ID, ctl.Title)})
		}
	}
	return w
}

// hardened checks what hardened needs: a container user that is not root.
func (v *validator) hardened(c Config) {
	if !c.Hardened {
		return
	}
	if c.Container.User == "" {
		v.addCross(KeyUser, []string{KeyHardened}, "is required with hardened (ECS.20: a container runs as root unless told otherwise): give the non-root user the image runs as, such as 1000 or app:app")
		return
	}
	if rootUser(c.Container.User) {
		v.addCross(KeyUser, []string{KeyHardened}, "%q runs the container as root, which hardened refuses (ECS.20): give a user other than root and 0", c.Container.User)
	}
}
