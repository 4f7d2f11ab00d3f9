FROM python:3.12
RUN pip install --no-cache-dir -c constraints.txt flask
RUN pip install --no-cache-dir --requirement r.txt
RUN pip install --no-cache-dir flask[async]==2
