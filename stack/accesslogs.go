package stack

import (
	"github.com/awslabs/goformation/v7/cloudformation/policies"
	"github.com/awslabs/goformation/v7/cloudformation/s3"

	"github.com/cfnfargate/cfnfargate/stack/internal/cloudformation"
)

// The load balancer's access logs go to --access-logs-bucket, whose policy
// is the user's to write, or with hardened and no bucket given to a bucket
// the stack creates: encrypted, versioned, closed to the public, reachable
// over TLS only, with its logs expiring (the S3 controls of Controls).

// createsAccessLogsBucket reports whether the stack creates the bucket of
// the load balancer's access logs.
func createsAccessLogsBucket(cfg Config) bool {
	return cfg.Hardened && cfg.LoadBalancer.AccessLogs.Bucket == ""
}

// accessLogsBucket is the bucket name for the access_logs.s3.bucket
// attribute, or "" when the load balancer writes no access logs.
func accessLogsBucket(cfg Config) string {
	if createsAccessLogsBucket(cfg) {
		return cloudformation.Ref(idAccessLogsBucket)
	}
	return cfg.LoadBalancer.AccessLogs.Bucket
}

// accessLogsExpiredVersionDays is how long a log version that was
// overwritten, deleted or expired stays recoverable (S3.14's point).
const accessLogsExpiredVersionDays = 30

// accessLogsBucketPolicy adds the bucket the load balancer writes its
// access logs to, and its policy, when the stack creates them, and returns
// what the load balancer depends on: the policy.
func accessLogsBucketPolicy(t *cloudformation.Template, cfg Config) []string {
	if !createsAccessLogsBucket(cfg) {
		return nil
	}
	expire := &s3.Bucket_Rule{
		Id:     cloudformation.String("ExpireAccessLogs"),
		Status: "Enabled",
		// On a versioned bucket an expiry adds a delete marker, and the
		// log then lives on as a noncurrent version until this removes it.
		NoncurrentVersionExpiration:    &s3.Bucket_NoncurrentVersionExpiration{NoncurrentDays: accessLogsExpiredVersionDays},
		AbortIncompleteMultipartUpload: &s3.Bucket_AbortIncompleteMultipartUpload{DaysAfterInitiation: 7},
	}
	if cfg.Logs.RetentionDays > 0 {
		// The logs of the load balancer live as long as the container's.
		expire.ExpirationInDays = cloudformation.Int(cfg.Logs.RetentionDays)
	}
	bucket := &s3.Bucket{
		// ELB writes access logs only to a bucket encrypted with
		// S3-managed keys: "The only server-side encryption option that's
		// supported is Amazon S3-managed keys (SSE-S3)" (ELB user guide,
		// "Enable access logs for your Application Load Balancer", bucket
		// requirements). S3.17's KMS keys are therefore out of reach
		// (UnmetControls).
		BucketEncryption: &s3.Bucket_BucketEncryption{ServerSideEncryptionConfiguration: []s3.Bucket_ServerSideEncryptionRule{{
			ServerSideEncryptionByDefault: &s3.Bucket_ServerSideEncryptionByDefault{SSEAlgorithm: "AES256"},
		}}},
		PublicAccessBlockConfiguration: &s3.Bucket_PublicAccessBlockConfiguration{
			BlockPublicAcls:       cloudformation.Bool(true),
			BlockPublicPolicy:     cloudformation.Bool(true),
			IgnorePublicAcls:      cloudformation.Bool(true),
			RestrictPublicBuckets: cloudformation.Bool(true),
		},
		// ACLs off: the bucket owner owns every object, whoever wrote it
		// (S3.12).
		OwnershipControls: &s3.Bucket_OwnershipControls{Rules: []s3.Bucket_OwnershipControlsRule{{
			ObjectOwnership: cloudformation.String("BucketOwnerEnforced"),
		}}},
		VersioningConfiguration: &s3.Bucket_VersioningConfiguration{Status: "Enabled"},
		LifecycleConfiguration: &s3.Bucket_LifecycleConfiguration{Rules: []s3.Bucket_Rule{
			*expire,
			// A rule of its own: S3 refuses ExpiredObjectDeleteMarker beside
			// an expiry in days (S3 API reference, LifecycleExpiration).
			{Id: cloudformation.String("RemoveExpiredDeleteMarkers"), Status: "Enabled", ExpiredObjectDeleteMarker: cloudformation.Bool(true)},
		}},
		Tags: resourceTags(cfg),
	}
	// CloudFormation cannot delete a bucket that holds objects (it fails
	// with "The bucket you tried to delete is not empty"), and the logs
	// are a record: the bucket stays when the stack is deleted or hardened
	// is turned off, and its lifecycle empties it.
	bucket.AWSCloudFormationDeletionPolicy = policies.DeletionPolicy("Retain")
	bucket.AWSCloudFormationUpdateReplacePolicy = policies.UpdateReplacePolicy("Retain")
	t.Resources[idAccessLogsBucket] = bucket

	logs := "${" + idAccessLogsBucket + ".Arn}/"
	if p := cfg.LoadBalancer.AccessLogs.Prefix; p != "" {
		logs += p + "/"
	}
	t.Resources[idAccessLogsBucketPolicy] = &s3.BucketPolicy{
		Bucket: cloudformation.Ref(idAccessLogsBucket),
		PolicyDocument: policyDocument(
			// ELB's log delivery writes the logs. The ELB user guide grants
			// this service principal in every Region: "Previously, for
			// Regions available before August 2022, we required a policy
			// that granted permissions to an ELB account that was specific
			// to the Region. This legacy policy is still supported, but we
			// recommend that you replace it with the newer policy" ("Enable
			// access logs for your Application Load Balancer", step 2).
			// Regions opened since August 2022 never supported the legacy
			// account, so the template names the service whatever the
			// Region (TestAWSRules, "access-log bucket policy"). The path
			// holds this account's ID, so that only load balancers of this
			// account can write ("Always include the account ID ... in the
			// resource path").
			statement{
				"Sid":       "ELBLogDelivery",
				"Effect":    "Allow",
				"Principal": map[string]any{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
				"Action":    "s3:PutObject",
				"Resource":  cloudformation.Sub(logs + "AWSLogs/${AWS::AccountId}/*"),
			},
			// S3.5: every request over TLS.
			statement{
				"Sid":       "TLSOnly",
				"Effect":    "Deny",
				"Principal": "*",
				"Action":    "s3:*",
				"Resource":  []string{cloudformation.GetAtt(idAccessLogsBucket, "Arn"), cloudformation.Sub("${" + idAccessLogsBucket + ".Arn}/*")},
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			},
		),
	}
	return []string{idAccessLogsBucketPolicy}
}
