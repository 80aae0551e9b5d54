// Package operate runs day-2 operations on a deployed cfnfargate stack: its
// logs, its tasks, a one-off task from its task definition, a shell in a
// running container, its task count, and its release history with
// rollbacks.
//
// Every operation finds what it acts on from the stack itself (see Find):
// the cluster, service, task definition and log group from the stack's
// resources, and the network configuration and capacity strategy from the
// service. Nothing is kept beside the stack except the release history,
// which lives in SSM Parameter Store under the stack's own path (see
// history.go). Changes to the stack (Scale, Rollback) go through a change
// set with package deploy, so the stack never drifts from its template.
//
// One file per verb, as kayac/ecspresso lays out its commands; they share
// the small client interfaces of api.go, which the AWS SDK clients satisfy.
// Like package deploy, this package never prints command lines or exits:
// it returns data and errors, and the caller words them.
package operate
