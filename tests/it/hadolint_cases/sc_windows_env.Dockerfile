FROM mcr.microsoft.com/windows/servercore:ltsc2022
SHELL ["powershell", "-Command", "$ErrorActionPreference = 'Stop';"]
RUN $url = ('https://example.com/{0}' -f ($env:V -replace '[a-z]+', '')); Write-Host $url
ENV V 1.0
RUN $url = ('https://example.com/{0}' -f ($env:V -replace '[a-z]+', '')); Write-Host $url
SHELL ["cmd", "/S", "/C"]
RUN echo %PATH% (x)
LABEL a=b
RUN echo %PATH% (x)
SHELL ["pwsh", "-c"]
RUN Get-Item (x)
