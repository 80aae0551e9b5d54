// Package watch follows an ECS service while CloudFormation waits on it, and
// says why its tasks fail.
//
// A [Watcher] polls, at a bounded rate, what CloudFormation does not show:
// the service's rollout (ecs:DescribeServices), the tasks of the new
// deployment that stopped (ecs:ListTasks, ecs:DescribeTasks), the health of
// the targets (elasticloadbalancing:DescribeTargetHealth) and the last lines
// a stopped container logged (logs:GetLogEvents). Each new finding is one
// [Fact], reported once. [Classify] and [ClassifyTarget] turn a stopped task
// or an unhealthy target into a [Cause]: what failed, the evidence in AWS's
// own words, and the settings (by their stack.Key* names) most likely to
// fix it. The package holds no command-line vocabulary: a caller words the
// settings as its flags.
//
// A read the caller's credentials may not make (AccessDenied) is reported
// once, as a [Denied] fact, and the Watcher carries on without it.
package watch
