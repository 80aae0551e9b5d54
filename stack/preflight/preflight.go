package preflight

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// ACMAPI is the part of the ACM API the certificate check reads.
// *acm.Client implements it.
type ACMAPI interface {
	DescribeCertificate(context.Context, *acm.DescribeCertificateInput, ...func(*acm.Options)) (*acm.DescribeCertificateOutput, error)
}

// SSMAPI is the part of the SSM API the secret checks read: a parameter's
// metadata, never its value. *ssm.Client implements it.
type SSMAPI interface {
	DescribeParameters(context.Context, *ssm.DescribeParametersInput, ...func(*ssm.Options)) (*ssm.DescribeParametersOutput, error)
}

// ECRAPI is the part of the ECR API the image check reads. *ecr.Client
// implements it.
type ECRAPI interface {
	DescribeImages(context.Context, *ecr.DescribeImagesInput, ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error)
}

// Clients are what the checks read with. A nil one skips its checks.
type Clients struct {
	EC2            EC2API
	ACM            ACMAPI
	SecretsManager SecretsManagerAPI
	SSM            SSMAPI
	ECR            ECRAPI
	CloudWatch     CloudWatchAPI
}

// Request is what a deploy is about to use.
type Request struct {
	// Region is the stack's region.
	Region string
	// Account is the caller's account. The ECR image and the SSM
	// parameters are checked only in it; empty skips those checks.
	Account string
	// Network is the VPC and subnets; nil skips the network checks.
	Network *Network
	// Certificates are the certificates the load balancer serves.
	Certificates []CertificateUse
	// Secrets are the container's secrets.
	Secrets []SecretUse
	// Image is the container image; empty skips the image check.
	Image string
	// RollbackAlarms are the names of the existing CloudWatch alarms the
	// service's deployments roll back on.
	RollbackAlarms []string
}

// Fields the findings are about, besides the template's parameter names
// (VpcId, PublicSubnetIds, PrivateSubnetIds, CertificateArn, ...): the
// setting keys of the secrets and the image (and FieldRollbackAlarm).
const (
	FieldSecret = "secret"
	FieldImage  = "image"
)

// Finding is one thing the checks found.
type Finding struct {
	// Field is what it is about: a template parameter's name or a
	// setting's key (Fields); empty for a check that could not run.
	Field string
	// Message says what is wrong and what to do.
	Message string
	// Settings are the keys of other settings that would fix it, such as
	// public-tasks for private subnets without a route out.
	Settings []string
}

// Report is what Check found: problems the deploy must not start with,
// and warnings it goes on with.
type Report struct {
	Problems []Finding
	Warnings []Finding
}

func (r *Report) problem(field string, settings []string, format string, args ...any) {
	r.Problems = append(r.Problems, Finding{Field: field, Message: fmt.Sprintf(format, args...), Settings: settings})
}

func (r *Report) warn(field string, settings []string, format string, args ...any) {
	r.Warnings = append(r.Warnings, Finding{Field: field, Message: fmt.Sprintf(format, args...), Settings: settings})
}

// unread records a read that failed: a warning that names the IAM action
// when the credentials may not make it, or the error otherwise; either way
// the check is skipped and the deploy goes on.
func (r *Report) unread(what string, err error) {
	if Denied(err) {
		r.warn("", nil, "could not check %s: the credentials may not call %s; the deploy goes on without this check", what, actionOf(err))
		return
	}
	r.warn("", nil, "could not check %s (%v); the deploy goes on without this check", what, err)
}

// actionOf names the IAM action of a failed call: the SDK's clients name
// their service by its ID (SSM, ECR), which in lower case is its IAM
// prefix for the services read here.
func actionOf(err error) string {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Action
	}
	var op *smithy.OperationError
	if errors.As(err, &op) {
		return strings.ToLower(op.Service()) + ":" + op.Operation()
	}
	return "the API"
}

// Check reads what r names and reports every problem at once, with the
// warnings. It fails only when ctx ends; a read that fails is a warning.
func Check(ctx context.Context, c Clients, r Request) (Report, error) {
	var rep Report
	if r.Network != nil && c.EC2 != nil {
		checkNetwork(ctx, c.EC2, r.Region, *r.Network, &rep)
	}
	if c.ACM != nil {
		for _, cert := range r.Certificates {
			checkCertificate(ctx, c.ACM, r.Region, cert, &rep)
		}
	}
	checkSecrets(ctx, c, r, &rep)
	if r.Image != "" && c.ECR != nil {
		checkImage(ctx, c.ECR, r, &rep)
	}
	if len(r.RollbackAlarms) > 0 && c.CloudWatch != nil {
		checkAlarms(ctx, c.CloudWatch, r.Region, r.RollbackAlarms, &rep)
	}
	return rep, ctx.Err()
}
