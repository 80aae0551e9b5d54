package deploy

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

const demoID = "arn:aws:cloudformation:us-east-1:123456789012:stack/demo/0000"

// Proves: the change set type follows the stack's state, and a state that
// cannot be deployed to is a *BlockedError that says what to do, as steps
// about the stack it names by ARN.
func TestChangeSetType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status   string // "" for no stack
		wantType types.ChangeSetType
		advice   string // for blocked states
	}{
		{"", types.ChangeSetTypeCreate, ""},
		{statusReviewInProgress, types.ChangeSetTypeCreate, ""},
		{statusRollbackComplete, types.ChangeSetTypeCreate, ""},
		{statusCreateComplete, types.ChangeSetTypeUpdate, ""},
		{statusUpdateComplete, types.ChangeSetTypeUpdate, ""},
		{statusUpdateRollbackComplete, types.ChangeSetTypeUpdate, ""},
		{"IMPORT_COMPLETE", types.ChangeSetTypeUpdate, ""},
		{"UPDATE_ROLLBACK_FAILED", "", "finish the rollback: aws cloudformation continue-update-rollback --stack-name demo @" + demoID},
		{"DELETE_FAILED", "", "aws cloudformation delete-stack --stack-name demo --retain-resources LOGICAL_ID... @" + demoID},
		{"ROLLBACK_FAILED", "", "delete it: cfnfargate delete demo @" + demoID},
		{"CREATE_FAILED", "", "roll it back: aws cloudformation rollback-stack --stack-name demo @" + demoID},
		{"UPDATE_FAILED", "", "aws cloudformation rollback-stack --stack-name demo @" + demoID},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			var stack *types.Stack
			if tt.status != "" {
				stack = &types.Stack{StackName: aws.String("demo"), StackId: aws.String(demoID), StackStatus: types.StackStatus(tt.status),
					Parameters: []types.Parameter{{ParameterKey: aws.String("VpcId")}}}
			}
			typ, previous, err := changeSetType("demo", stack)
			if tt.advice != "" {
				var be *BlockedError
				if !errors.As(err, &be) || !strings.Contains(stepsText(NextSteps(err)), tt.advice) {
					t.Fatalf("error = %v, steps %s; want *BlockedError advising %s", err, stepsText(NextSteps(err)), tt.advice)
				}
				return
			}
			if err != nil || typ != tt.wantType {
				t.Fatalf("changeSetType = %s, %v; want %s", typ, err, tt.wantType)
			}
			if (typ == types.ChangeSetTypeUpdate) != previous["VpcId"] {
				t.Errorf("previous parameters = %v; want them for updates only", previous)
			}
		})
	}
}
