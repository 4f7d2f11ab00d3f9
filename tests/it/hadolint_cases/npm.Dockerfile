FROM node:20
RUN npm install
RUN npm install express
RUN npm install express@4.18.2
RUN npm i -g typescript
RUN npm ci
RUN npm install git+https://github.com/a/b.git#v1
RUN npm install ./local
RUN npm install express@^4
