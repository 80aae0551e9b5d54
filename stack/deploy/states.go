package deploy

import (
	"fmt"
	"strings"
)

// Stack statuses this package treats specially. CloudFormation has more; the
// rest are classified by suffix.
const (
	statusCreateComplete         = "CREATE_COMPLETE"
	statusUpdateComplete         = "UPDATE_COMPLETE"
	statusDeleteComplete         = "DELETE_COMPLETE"
	statusDeleteInProgress       = "DELETE_IN_PROGRESS"
	statusUpdateInProgress       = "UPDATE_IN_PROGRESS"
	statusReviewInProgress       = "REVIEW_IN_PROGRESS"
	statusRollbackComplete       = "ROLLBACK_COMPLETE"
	statusUpdateRollbackComplete = "UPDATE_ROLLBACK_COMPLETE"
)

// inProgress reports whether CloudFormation is still working on the stack.
// REVIEW_IN_PROGRESS is the exception: it is a stack that only has change
// sets and nothing is running.
func inProgress(status string) bool {
	return strings.HasSuffix(status, "_IN_PROGRESS") && status != statusReviewInProgress
}

// updatable reports whether an UPDATE change set can be executed on a stack
// in this state.
func updatable(status string) bool {
	switch status {
	case statusCreateComplete, statusUpdateComplete, statusUpdateRollbackComplete,
		"IMPORT_COMPLETE", "IMPORT_ROLLBACK_COMPLETE":
		return true
	}
	return false
}

// stateAdvice explains a settled, unsuccessful state and says what to do
// about it. It is empty for states that need no explanation.
func stateAdvice(stack, status string) string {
	switch status {
	case statusRollbackComplete:
		return fmt.Sprintf("the create was rolled back and the stack holds no resources; "+
			"the next `cfnfargate deploy --stack %s` deletes it and creates it again", stack)
	case statusUpdateRollbackComplete:
		return "the update was rolled back and the stack runs its previous version"
	case "UPDATE_ROLLBACK_FAILED":
		return fmt.Sprintf("finish the rollback with `aws cloudformation continue-update-rollback --stack-name %s` "+
			"(add --resources-to-skip for resources that cannot roll back), then deploy again", stack)
	case "ROLLBACK_FAILED":
		return fmt.Sprintf("delete it with `cfnfargate delete --stack %s`; if resources fail to delete, "+
			"retain them with `aws cloudformation delete-stack --stack-name %s --retain-resources LOGICAL_ID...`", stack, stack)
	case "DELETE_FAILED":
		return fmt.Sprintf("delete it again, retaining the resources that failed to delete, with "+
			"`aws cloudformation delete-stack --stack-name %s --retain-resources LOGICAL_ID...`, "+
			"then remove those resources by hand", stack)
	case "CREATE_FAILED", "UPDATE_FAILED":
		return fmt.Sprintf("roll it back with `aws cloudformation rollback-stack --stack-name %s`, "+
			"or delete it with `cfnfargate delete --stack %s`", stack, stack)
	case "IMPORT_ROLLBACK_FAILED":
		return fmt.Sprintf("fix the resources named in its events, or delete it with `cfnfargate delete --stack %s`", stack)
	}
	return ""
}
