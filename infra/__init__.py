"""The s3vl CDK app: a vector bucket, the bridge Lambda and what Aurora needs to call it."""
