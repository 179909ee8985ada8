FROM python:3.12-slim
RUN pip install --no-cache-dir flask gunicorn==23.0.0
RUN pip install --no-cache-dir -r requirements.txt
RUN pip install requests==2.32.3
RUN --mount=type=cache,target=/root/.cache/pip pip install uvicorn==0.32.0
RUN pip install --no-cache-dir ./wheels/app-1.0-py3-none-any.whl "git+https://git.example.test/lib.git@v1.2"
RUN python3 -m pip install --no-cache-dir --upgrade pip
RUN npm install -g pnpm && npm install -g yarn@1.22.22 && npm install
RUN npm i express
RUN yarn install --frozen-lockfile
RUN yarn install --frozen-lockfile && yarn cache clean
RUN gem install rails:7.2.1 rake
RUN gem install --no-document bundler
RUN gem install rake -v 13.2.1
RUN go install golang.org/x/tools/cmd/goimports@latest && go install ./cmd/...
RUN go install honnef.co/go/tools/cmd/staticcheck@v0.5.1
