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
)

// ClientOptions are the command-line overrides for the AWS configuration.
// Empty fields leave the SDK's own resolution alone, so AWS_PROFILE,
// AWS_REGION, SSO sessions, AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_CLOUDFORMATION work without flags.
type ClientOptions struct {
	Region      string
	Profile     string
	EndpointURL string
}

// NewClient returns a CloudFormation client built from the default AWS
// configuration chain, with the overrides in o and a retryer suited to a
// command that polls for many minutes.
func NewClient(ctx context.Context, o ClientOptions) (*cloudformation.Client, error) {
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
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, &InputError{Problems: []Problem{{
			Flag:    "--region",
			Message: "no AWS region is set; pass --region, or set AWS_REGION or a region in your AWS profile",
		}}}
	}
	return cloudformation.NewFromConfig(cfg, func(co *cloudformation.Options) {
		if o.EndpointURL != "" {
			co.BaseEndpoint = aws.String(o.EndpointURL)
		}
	}), nil
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
