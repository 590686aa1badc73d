// Package terraform checks the Terraform module deploy/terraform/ferry-aws and the example
// examples/terraform/eks-walkthrough without an AWS account or provider plugins: it parses
// their HCL and compares the IAM policy with the actions Ferry's code calls (as derived by
// internal/provider/aws/iamactions), the PushSecret statements with the managed-by tag Ferry
// writes, the chart values with the chart, the IAM policy of docs/providers/aws.md with the
// same actions, and the formatting with the canonical one (hclwrite, and `tofu fmt` when the
// tools cache holds OpenTofu).
//
// It must not reach a network, download providers or change the files it reads.
package terraform
