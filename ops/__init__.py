"""Operations on a deployed environment: `python -m ops preflight|verify|restore-drill|keys`.

A tool package of its own: it reads the app's config (`config.load_config`) and, where a name is only knowable from
the synthesized templates, the cloud assembly or the live CloudFormation stacks; it never imports `stacks/`,
`constructs/` or `app.py`. Every AWS call goes through `ops.aws.Aws` (standard retries, paginators, the usual
profile/region/endpoint settings), every result is a `ops.report.Row`.
"""
