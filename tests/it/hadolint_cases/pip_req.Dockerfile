FROM python:3.12
RUN pip install --no-cache-dir -r requirements.txt
RUN pip install --no-cache-dir -e .
RUN pip install --no-cache-dir .
RUN pip3 install --no-cache-dir ./pkg.whl
RUN pip install --no-cache-dir git+https://github.com/a/b.git@v1
RUN python -m pip install --no-cache-dir flask
RUN pip install --no-cache-dir --upgrade pip
