package preflight

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// SecretsManagerAPI is the part of the Secrets Manager API the checks
// read: a secret's metadata, never its value. *SecretsManager implements
// it.
type SecretsManagerAPI interface {
	DescribeSecret(ctx context.Context, region, id string) (*SecretMetadata, error)
}

// SecretMetadata is what DescribeSecret says of a secret.
type SecretMetadata struct {
	ARN  string
	Name string
	// DeletedDate is set, in seconds since 1970, when the secret is
	// scheduled for deletion: it cannot be read meanwhile.
	DeletedDate float64
}

// SecretsManager calls the Secrets Manager API through its JSON protocol.
type SecretsManager struct {
	c *client
}

// NewSecretsManager returns a Secrets Manager client; endpoint as for
// NewEC2. Each call names its region: a secret's ARN says where it lives.
func NewSecretsManager(cfg aws.Config, endpoint string) *SecretsManager {
	return &SecretsManager{c: newClient(cfg, endpoint)}
}

// DescribeSecret describes the secret id (an ARN or a name) in region.
// One that does not exist is an *APIError with Code
// ResourceNotFoundException.
func (s *SecretsManager) DescribeSecret(ctx context.Context, region, id string) (*SecretMetadata, error) {
	var out SecretMetadata
	if err := s.c.jsonCall(ctx, "secretsmanager", "SECRETS_MANAGER", "secretsmanager", "DescribeSecret", region,
		map[string]string{"SecretId": id}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
