package deploy

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
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
}

// Deployer returns a Deployer that uses every client, reporting to sink.
func (c *Clients) Deployer(sink Sink) *Deployer {
	return &Deployer{API: c.CloudFormation, Sink: sink, IAM: c.IAM, ELB: c.ELB}
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

// NewClients returns the CloudFormation, IAM and Elastic Load Balancing
// clients, built as NewClient builds the CloudFormation one.
// o.EndpointURL, when set, is the endpoint of all three, as for an emulator
// that serves every API on one port. Nothing is sent to AWS.
func NewClients(ctx context.Context, o ClientOptions) (*Clients, error) {
	cfg, err := loadConfig(ctx, o)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		return nil, &InputError{Problems: []Problem{{
			Flag:    "--region",
			Message: "no AWS region is set; pass --region, or set AWS_REGION or a region in your AWS profile",
		}}}
	}
	var endpoint *string
	if o.EndpointURL != "" {
		endpoint = aws.String(o.EndpointURL)
	}
	return &Clients{
		CloudFormation: cloudformation.NewFromConfig(cfg, func(co *cloudformation.Options) {
			if endpoint != nil {
				co.BaseEndpoint = endpoint
			}
		}),
		// IAM is a global service; the SDK resolves its one endpoint (and
		// signing region) from the partition of cfg.Region.
		IAM: iam.NewFromConfig(cfg, func(iamOpts *iam.Options) {
			if endpoint != nil {
				iamOpts.BaseEndpoint = endpoint
			}
		}),
		ELB: elbv2.NewFromConfig(cfg, func(eo *elbv2.Options) {
			if endpoint != nil {
				eo.BaseEndpoint = endpoint
			}
		}),
	}, nil
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

// loadConfig loads the default AWS configuration with the overrides in o.
// config.LoadDefaultConfig reads the environment and the shared files; it
// calls no AWS API (credentials are fetched lazily, on the first request).
func loadConfig(ctx context.Context, o ClientOptions) (aws.Config, error) {
	var loads []func(*config.LoadOptions) error
	if o.Region != "" {
		loads = append(loads, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		loads = append(loads, config.WithSharedConfigProfile(o.Profile))
	}
	loads = append(loads, config.WithRetryer(func() aws.Retryer { return newRetryer(nil) }))
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
