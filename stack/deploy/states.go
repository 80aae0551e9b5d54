package deploy

import "strings"

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
	// statusUpdateRollbackInProgress is CloudFormation putting back the
	// previous template after a failed or cancelled update.
	statusUpdateRollbackInProgress = "UPDATE_ROLLBACK_IN_PROGRESS"
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
// about it, in words and as steps. Both are empty for states that need no
// explanation.
func stateAdvice(stack stackRef, status string) (string, []Step) {
	name := stack.name
	switch status {
	case statusRollbackComplete:
		return "the create was rolled back and the stack holds no resources; the next deploy deletes it and creates it again",
			[]Step{stack.step("create it again", StepDeploy), stack.step("or delete it", StepDelete)}
	case statusUpdateRollbackComplete:
		return "the update was rolled back and the stack runs its previous version", nil
	case "UPDATE_ROLLBACK_FAILED":
		return "finish the rollback with continue-update-rollback (skipping, with --resources-to-skip, the resources " +
				"that cannot roll back), then deploy again",
			[]Step{
				stack.awsStep("finish the rollback", "cloudformation", "continue-update-rollback", "--stack-name", name),
				stack.step("then deploy again", StepDeploy),
			}
	case "ROLLBACK_FAILED":
		return "delete it; if resources fail to delete, delete it again retaining them",
			[]Step{
				stack.step("delete it", StepDelete),
				stack.awsStep("if resources fail to delete, retain them",
					"cloudformation", "delete-stack", "--stack-name", name, "--retain-resources", "LOGICAL_ID..."),
			}
	case "DELETE_FAILED":
		return "delete it again, retaining the resources that failed to delete, then remove those resources by hand",
			[]Step{stack.awsStep("delete it, retaining the resources that failed",
				"cloudformation", "delete-stack", "--stack-name", name, "--retain-resources", "LOGICAL_ID...")}
	case "CREATE_FAILED", "UPDATE_FAILED":
		return "roll it back, or delete it",
			[]Step{
				stack.awsStep("roll it back", "cloudformation", "rollback-stack", "--stack-name", name),
				stack.step("or delete it", StepDelete),
			}
	case "IMPORT_ROLLBACK_FAILED":
		return "fix the resources named in its events, or delete it", []Step{stack.step("delete it", StepDelete)}
	}
	return "", nil
}
