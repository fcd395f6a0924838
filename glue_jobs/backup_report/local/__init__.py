"""Local stand-ins for AWS: the AWS Backup emulator, synthetic jobs, the local stack."""
