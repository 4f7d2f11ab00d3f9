FROM python:3.12
RUN pip install --no-cache-dir flask==2.0 'requests>=2' django~=4.2 a===1
