// Package iamactions derives, from Ferry's own source code, the AWS IAM actions the ferry
// binary needs: every AWS SDK operation its packages call (a method whose input is a
// *<service>.<Operation>Input of an aws-sdk-go-v2 service package, or an SDK helper that
// calls one for it), mapped to "<service>:<Operation>", plus the actions AWS checks on
// Ferry's behalf for some of them (KMS for customer-managed keys, tagging on creation, session
// tags).
//
// The list is split into what reading needs and what only PushSecret needs (calls made in
// push_*.go files). The Terraform module's policy test and the IAM policy printed in
// docs/providers/aws.md are checked against it, so a new SDK call without its permission,
// or a permission no code uses, fails a test.
//
// This package reads source code only: it must not call AWS or be linked into the ferry
// binary.
package iamactions
