FROM node:20
RUN npm install express@latest
RUN npm install @scope/pkg
RUN npm install @scope/pkg@1.0.0
