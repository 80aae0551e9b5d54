package deploy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// ClientOptions are the command-line overrides for the AWS configuration.
// Empty fields leave the SDK's own resolution alone, so AWS_PROFILE,
// AWS_REGION, SSO sessions, AWS_ENDPOINT_URL and the per-service
// AWS_ENDPOINT_URL_CLOUDFORMATION, _IAM and _ELASTIC_LOAD_BALANCING_V2
// work without flags.
type ClientOptions struct {
	Region  string
	Profile string
	// EndpointURL is the endpoint of every client, for an emulator.
	EndpointURL string
	// Debug lets the SDK log its own lines (retries, warnings) to stderr;
	// without it they are kept out of the output.
	Debug bool
}

// Clients are the AWS clients a Deployer uses, built from one
// configuration.
type Clients struct {
	CloudFormation *cloudformation.Client
	IAM            *iam.Client
	ELB            *elbv2.Client
	ECS            *ecs.Client
	Logs           *cloudwatchlogs.Client
	// SSM, ECR and STS serve the day-2 commands (package stack/operate):
	// the release history, image digests and the caller's ARN.
	SSM *ssm.Client
	ECR *ecr.Client
	STS *sts.Client
	// CloudWatch reads the rollback alarms of a blue/green deployment.
	CloudWatch *cloudwatch.Client
	// ACM reads the names a certificate covers (import copilot
	// --from-stack).
	ACM *acm.Client
	// Region is the region every client uses.
	Region string
	// Config is the configuration the clients were built from, with
	// their retryer, for clients made elsewhere (package preflight's);
	// EndpointURL is ClientOptions.EndpointURL.
	Config      aws.Config
	EndpointURL string
}

// Deployer returns a Deployer that uses every client, reporting to sink:
// besides CloudFormation, IAM and Elastic Load Balancing for their checks,
// ECS, Elastic Load Balancing and CloudWatch Logs to watch the service.
func (c *Clients) Deployer(sink Sink) *Deployer {
	d := &Deployer{API: c.CloudFormation, Sink: sink, IAM: c.IAM, ELB: c.ELB}
	// A nil *ecs.Client in an interface would not be nil.
	if c.ECS != nil {
		d.ECS = c.ECS
	}
	if c.ELB != nil {
		d.TargetHealth = c.ELB
	}
	if c.Logs != nil {
		d.Logs = c.Logs
	}
	return d
}

// NewClient returns a CloudFormation client built from the default AWS
// configuration chain, with the overrides in o and a retryer suited to a
// command that polls for many minutes.
func NewClient(ctx context.Context, o ClientOptions) (*cloudformation.Client, error) {
	c, err := NewClients(ctx, o)
	if err != nil {
		return nil, err
	}
	return c.CloudFormation, nil
}

// NewClients returns the CloudFormation, IAM, Elastic Load Balancing, ECS,
// CloudWatch Logs, CloudWatch, SSM, ECR, STS and ACM clients, built as NewClient builds the CloudFormation one.
// o.EndpointURL, when set, is the endpoint of all of them, as for an emulator
// that serves every API on one port. No AWS API is called; credentials are
// loaded, so that missing ones are a *CredentialsError now rather than a
// raw SDK error from the first call.
func NewClients(ctx context.Context, o ClientOptions) (*Clients, error) {
	cfg, err := loadConfig(ctx, o)
	var missing config.SharedConfigProfileNotExistError
	if errors.As(err, &missing) {
		return nil, &CredentialsError{Profile: o.Profile, Err: err}
	}
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		var check Check
		check.Add(FieldRegion, "no AWS region is set: give one, or set AWS_REGION or a region in your AWS profile")
		return nil, check.Err()
	}
	if err := checkCredentials(ctx, cfg, o.Profile); err != nil {
		return nil, err
	}
	// The retryer is the clients', not the configuration's: the
	// credential providers would take it too, and the metadata service
	// client would then retry an address that does not answer for seconds
	// before saying there are no credentials.
	var endpoint *string
	if o.EndpointURL != "" {
		endpoint = aws.String(o.EndpointURL)
	}
	return &Clients{
		CloudFormation: cloudformation.NewFromConfig(cfg, func(co *cloudformation.Options) {
			co.Retryer = newRetryer(nil)
			if endpoint != nil {
				co.BaseEndpoint = endpoint
			}
		}),
		// IAM is a global service; the SDK resolves its one endpoint (and
		// signing region) from the partition of cfg.Region.
		IAM: iam.NewFromConfig(cfg, func(iamOpts *iam.Options) {
			iamOpts.Retryer = newRetryer(nil)
			if endpoint != nil {
				iamOpts.BaseEndpoint = endpoint
			}
		}),
		ELB: elbv2.NewFromConfig(cfg, func(eo *elbv2.Options) {
			eo.Retryer = newRetryer(nil)
			if endpoint != nil {
				eo.BaseEndpoint = endpoint
			}
		}),
		ECS: ecs.NewFromConfig(cfg, func(eo *ecs.Options) {
			eo.Retryer = newRetryer(nil)
			if endpoint != nil {
				eo.BaseEndpoint = endpoint
			}
		}),
		Logs: cloudwatchlogs.NewFromConfig(cfg, func(lo *cloudwatchlogs.Options) {
			lo.Retryer = newRetryer(nil)
			if endpoint != nil {
				lo.BaseEndpoint = endpoint
			}
		}),
		CloudWatch: cloudwatch.NewFromConfig(cfg, func(co *cloudwatch.Options) {
			co.Retryer = newRetryer(nil)
			if endpoint != nil {
				co.BaseEndpoint = endpoint
			}
			// Emulators (moto 5.2) do not route CloudWatch's Smithy RPC v2
			// CBOR, the SDK's default; CloudWatch accepts AWS Query as well
			// (aws-sdk-go-v2 service/cloudwatch v1.53.0 changelog). So any
			// endpoint of the user's, ours or the SDK's own AWS_ENDPOINT_URL
			// and AWS_ENDPOINT_URL_CLOUDWATCH (which NewFromConfig has
			// already put here), speaks Query.
			if co.BaseEndpoint != nil {
				co.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
			}
		}),
		SSM: ssm.NewFromConfig(cfg, func(so *ssm.Options) {
			so.Retryer = newRetryer(nil)
			if endpoint != nil {
				so.BaseEndpoint = endpoint
			}
		}),
		ECR: ecr.NewFromConfig(cfg, func(eo *ecr.Options) {
			eo.Retryer = newRetryer(nil)
			if endpoint != nil {
				eo.BaseEndpoint = endpoint
			}
		}),
		STS: sts.NewFromConfig(cfg, func(so *sts.Options) {
			so.Retryer = newRetryer(nil)
			if endpoint != nil {
				so.BaseEndpoint = endpoint
			}
		}),
		ACM: acm.NewFromConfig(cfg, func(ao *acm.Options) {
			ao.Retryer = newRetryer(nil)
			if endpoint != nil {
				ao.BaseEndpoint = endpoint
			}
		}),
		Region:      cfg.Region,
		Config:      withRetryer(cfg),
		EndpointURL: o.EndpointURL,
	}, nil
}

// withRetryer is cfg with the clients' retryer. The credentials were
// loaded by then, so their providers keep the retryer they had.
func withRetryer(cfg aws.Config) aws.Config {
	cfg.Retryer = func() aws.Retryer { return newRetryer(nil) }
	return cfg
}

// Region returns the region the clients of NewClients would use, resolved
// from o, the environment and the shared configuration as the SDK resolves
// it, or "" when none is set. It reads files and the environment only:
// nothing is sent to AWS.
func Region(ctx context.Context, o ClientOptions) (string, error) {
	cfg, err := loadConfig(ctx, o)
	if err != nil {
		return "", err
	}
	return cfg.Region, nil
}

// credentialsTimeout bounds loading credentials. The chain asks the EC2
// instance metadata service last, whose client gives up on an address that
// does not answer within a second or two (250 ms per connection attempt,
// feature/ec2/imds); SSO and container credentials take a round trip. The
// bound is for a chain that hangs, not for those.
const credentialsTimeout = 15 * time.Second

// CredentialsError reports that no AWS credentials could be loaded: none are
// configured, or the ones configured do not work (an expired SSO session, a
// profile that does not exist). Nothing was sent to AWS. Exit code 2, as
// for the rest of a configuration the user has to fix.
type CredentialsError struct {
	// Profile is the profile given in ClientOptions, if any.
	Profile string
	Err     error
}

func (e *CredentialsError) Error() string {
	var missing config.SharedConfigProfileNotExistError
	switch {
	case errors.As(e.Err, &missing):
		return fmt.Sprintf("AWS profile %q is not in the shared config or credentials file", missing.Profile)
	// The chain's last provider is the EC2 instance role; its failure is
	// the chain's when no provider had anything.
	case strings.Contains(e.Err.Error(), "no EC2 IMDS role found"):
		return "no AWS credentials found: none in the environment or the shared config and credentials files, and no instance role"
	}
	return "could not load AWS credentials: " + e.Err.Error()
}

func (e *CredentialsError) Unwrap() error { return e.Err }
func (e *CredentialsError) ExitCode() int { return ExitInput }

// checkCredentials loads the credentials of cfg once, as the first request
// would. cfg.Credentials caches them, so the requests reuse what it loaded.
func checkCredentials(ctx context.Context, cfg aws.Config, profile string) error {
	if cfg.Credentials == nil {
		return &CredentialsError{Profile: profile, Err: errors.New("the AWS configuration has no credential provider")}
	}
	cctx, cancel := context.WithTimeout(ctx, credentialsTimeout)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(cctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &CredentialsError{Profile: profile, Err: err}
	}
	return nil
}

// loadConfig loads the default AWS configuration with the overrides in o.
// config.LoadDefaultConfig reads the environment and the shared files; it
// calls no AWS API (credentials are fetched lazily, on the first request).
//
// The SDK logs warnings of its own ("SDK 2024/01/02 15:04:05 WARN falling
// back to IMDSv1 ...") straight to stderr, where they read as this tool's;
// they are dropped unless o.Debug, which adds the retries to them.
func loadConfig(ctx context.Context, o ClientOptions) (aws.Config, error) {
	var loads []func(*config.LoadOptions) error
	var logger logging.Logger = logging.Nop{}
	if o.Debug {
		logger = logging.NewStandardLogger(os.Stderr)
		loads = append(loads, config.WithClientLogMode(aws.LogRetries))
	}
	loads = append(loads, config.WithLogger(logger))
	if o.Region != "" {
		loads = append(loads, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		loads = append(loads, config.WithSharedConfigProfile(o.Profile))
	}
	// The instance role is the last link of the credential chain. Its
	// metadata client retries 3 times for the session token and 3 times
	// for the role, so a machine that is not on EC2 waits seconds before
	// hearing there are no credentials; the metadata service is local to
	// an instance and answers at once, so one try is enough. imds.New
	// still reads AWS_EC2_METADATA_DISABLED and
	// AWS_EC2_METADATA_SERVICE_ENDPOINT.
	loads = append(loads, config.WithEC2RoleCredentialOptions(func(ro *ec2rolecreds.Options) {
		ro.Client = imds.New(imds.Options{Retryer: aws.NopRetryer{}, Logger: logger})
	}))
	cfg, err := config.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// newRetryer is the standard SDK retryer with more attempts than its default
// of 3, because one failed poll in a long wait should not surface as an
// error. backoff replaces the exponential jitter backoff when not nil (tests
// use a short one).
func newRetryer(backoff retry.BackoffDelayer) aws.Retryer {
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = 5
		so.MaxBackoff = 10 * time.Second
		// The client-side retry quota (500 tokens) is meant to stop retry
		// storms from fleets of clients; one CLI polling every 2 s cannot
		// cause one, and an exhausted quota would fail a healthy deploy
		// with "retry quota exceeded" after a burst of throttling.
		so.RateLimiter = ratelimit.None
		if backoff != nil {
			so.Backoff = backoff
		}
	})
}
