package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// CallerAPI is the part of STS CheckAccount uses. *sts.Client satisfies it.
type CallerAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

var _ CallerAPI = (*sts.Client)(nil)

// AccountError says the credentials belong to another AWS account than
// the one the input names: a profile or role of staging used for prod,
// say. Nothing was sent to the account's services. Exit code 2.
type AccountError struct {
	Want, Got string
}

func (e *AccountError) Error() string {
	return fmt.Sprintf("the credentials in use are of AWS account %s, not %s; nothing was sent: use the profile or role of account %s", e.Got, e.Want, e.Want)
}

func (e *AccountError) ExitCode() int { return ExitInput }

// CheckAccount returns an *AccountError when the caller's account, as STS
// GetCallerIdentity reports it, is not want. GetCallerIdentity needs no
// permission ("No permissions are required to perform this operation",
// STS API reference).
func CheckAccount(ctx context.Context, api CallerAPI, want string) error {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := api.GetCallerIdentity(cctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("check the account of the credentials: %w", readable(err))
	}
	if got := aws.ToString(out.Account); got != want {
		return &AccountError{Want: want, Got: got}
	}
	return nil
}
