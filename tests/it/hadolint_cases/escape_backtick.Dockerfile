# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022
RUN powershell -Command `
  Write-Host hi
WORKDIR C:\\app
