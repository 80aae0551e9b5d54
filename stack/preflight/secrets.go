package preflight

import (
	"context"
	"strings"

	"github.com/cfnfargate/cfnfargate/stack"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// SecretUse is a secret the container reads at start: the variable it
// sets and where ECS reads it from (its valueFrom), a Secrets Manager
// secret's ARN (with an optional JSON key, version stage and version ID
// after it) or secretsmanager:NAME, an SSM parameter's ARN, or an SSM
// parameter's name; a name is in the stack's region.
type SecretUse struct {
	Name      string
	ValueFrom string
}

// checkSecrets checks that each secret exists, reading its metadata only
// (secretsmanager:DescribeSecret, ssm:DescribeParameters), never a value.
// ECS would fail every task with ResourceInitializationError minutes into
// the deploy.
func checkSecrets(ctx context.Context, c Clients, r Request, rep *Report) {
	for _, s := range r.Secrets {
		arn, isARN := parseARN(s.ValueFrom)
		switch {
		case isARN && arn.service == "secretsmanager" && c.SecretsManager != nil:
			// The secret's own ARN is the first seven fields; a JSON key,
			// version stage and version ID may follow (ECS developer guide,
			// "Pass Secrets Manager secrets through Amazon ECS environment
			// variables").
			fields := strings.SplitN(s.ValueFrom, ":", 8)
			checkSecretsManager(ctx, c.SecretsManager, s, arn, strings.Join(fields[:min(7, len(fields))], ":"), rep)
		case isARN && arn.service == "ssm":
			name, ok := strings.CutPrefix(arn.resource, "parameter/")
			if !ok || arn.account != r.Account {
				// DescribeParameters lists the caller's own parameters
				// only: another account's (or an unknown caller's) would
				// look missing.
				continue
			}
			if strings.Contains(name, "/") {
				name = "/" + name // parameter/app/db is the parameter /app/db
			}
			checkSSMName(ctx, c, s, name, arn.region, rep)
		case !isARN && strings.HasPrefix(s.ValueFrom, "secretsmanager:") && c.SecretsManager != nil:
			name := strings.TrimPrefix(s.ValueFrom, "secretsmanager:")
			checkSecretsManager(ctx, c.SecretsManager, s, arnParts{region: r.Region}, name, rep)
		case !isARN && !strings.HasPrefix(s.ValueFrom, "secretsmanager:"):
			checkSSMName(ctx, c, s, s.ValueFrom, r.Region, rep)
		}
	}
}

// checkSSMName checks the SSM parameter name of s in region. A reference
// to a Secrets Manager secret, /aws/reference/secretsmanager/NAME, is that
// secret's; AWS's public parameters, the rest under /aws/, are not looked
// at: DescribeParameters lists neither (SSM user guide, "Working with
// public parameters").
func checkSSMName(ctx context.Context, c Clients, s SecretUse, name, region string, rep *Report) {
	switch secret, isReference := strings.CutPrefix(name, stack.SSMSecretReferencePrefix); {
	case isReference && c.SecretsManager != nil:
		// "the name must begin with the following reserved path:
		// /aws/reference/secretsmanager/secret_ID_in_Secrets_Manager" (SSM
		// user guide, "Referencing AWS Secrets Manager secrets from
		// Parameter Store parameters"): the secret is read through it, in
		// the same region.
		checkSecretsManager(ctx, c.SecretsManager, s, arnParts{region: region}, secret, rep)
	case strings.HasPrefix(name, "/aws/"):
	case c.SSM != nil:
		checkParameter(ctx, c.SSM, s, name, region, rep)
	}
}

// checkSecretsManager checks the secret id (an ARN or a name) of s, in
// the region of arn.
func checkSecretsManager(ctx context.Context, api SecretsManagerAPI, s SecretUse, arn arnParts, id string, rep *Report) {
	secret, err := api.DescribeSecret(ctx, arn.region, id)
	switch {
	case isCode(err, "ResourceNotFoundException"):
		rep.problem(FieldSecret, nil, "%s: secret %s does not exist in Secrets Manager in %s", s.Name, id, arn.region)
	case err != nil:
		rep.unread("the secret of "+s.Name, err)
	case secret.DeletedDate != 0:
		rep.problem(FieldSecret, nil, "%s: secret %s is scheduled for deletion, and ECS cannot read it meanwhile: restore it (aws secretsmanager restore-secret) or give another", s.Name, id)
	}
}

func checkParameter(ctx context.Context, api SSMAPI, s SecretUse, name, region string, rep *Report) {
	out, err := api.DescribeParameters(ctx, &ssm.DescribeParametersInput{
		ParameterFilters: []ssmtypes.ParameterStringFilter{{Key: aws.String("Name"), Option: aws.String("Equals"), Values: []string{name}}},
	}, func(o *ssm.Options) { o.Region = region })
	switch {
	case err != nil:
		rep.unread("the SSM parameter of "+s.Name, err)
	case len(out.Parameters) == 0:
		rep.problem(FieldSecret, nil, "%s: SSM parameter %s does not exist in %s", s.Name, name, region)
	}
}

// arnParts are the fields of an ARN:
// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
type arnParts struct {
	service, region, account, resource string
}

func parseARN(s string) (arnParts, bool) {
	f := strings.SplitN(s, ":", 6)
	if len(f) != 6 || f[0] != "arn" {
		return arnParts{}, false
	}
	return arnParts{service: f[2], region: f[3], account: f[4], resource: f[5]}, true
}
