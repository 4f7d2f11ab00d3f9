FROM mcr.microsoft.com/powershell:7
SHELL ["pwsh", "-command"]
RUN Get-Variable | Out-String
